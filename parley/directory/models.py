"""The directory's own records, beside the agencies, people and roles in ``parley.cases``.

Teams sit inside agencies; a role may name the team it is held in. An upload waits here
between "check your changes" and the import. A case's anonymisation after its retention
period is recorded here, so it is done once and can be told apart from a live case.
"""

from __future__ import annotations

import uuid

from django.db import models

from parley.cases.models import Agency, Disagreement, Partnership, Person, RoleAssignment


class Team(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "name"], name="team_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"


class RoleTeam(models.Model):
    """The team a role is held in, when the directory names one."""

    assignment = models.OneToOneField(
        RoleAssignment, on_delete=models.CASCADE, related_name="team_link"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="role_links")

    def __str__(self) -> str:
        return f"{self.assignment} in {self.team.name}"


class DirectoryUpload(models.Model):
    """A checked CSV file waiting for its administrator to confirm the import.

    Deleted when imported, and any older than a day when the next file is uploaded: it
    holds professionals' contact details and is kept no longer than the check takes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    remove_missing = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"upload {self.id} by {self.uploaded_by_id}"


class RetentionPurge(models.Model):
    """A disagreement anonymised after its retention period: when, and what was removed."""

    disagreement = models.OneToOneField(
        Disagreement, on_delete=models.PROTECT, related_name="retention_purge"
    )
    purged_at = models.DateTimeField()
    retention_years = models.PositiveSmallIntegerField()
    events_deleted = models.PositiveIntegerField(default=0)
    deadlines_deleted = models.PositiveIntegerField(default=0)
    # Rows of other kinds linked to the case and removed with it: {"app.model": count}.
    other_deleted = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-purged_at"]

    def __str__(self) -> str:
        return f"{self.disagreement_id} purged {self.purged_at:%Y-%m-%d}"
