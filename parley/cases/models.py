"""Persistence: partnerships, their people and procedures, disagreements and their record.

The record (``Event``) is append-only: no update or delete path in Django, and database
triggers refuse both (migration ``0002_event_append_only_triggers``). The current state
of a disagreement is kept in plain fields for listing, and is derivable from its events
(``selectors.disagreement_state``); a test replays every case and compares.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class AppendOnlyError(Exception):
    pass


class Partnership(models.Model):
    class Region(models.TextChoices):
        ENGLAND_AND_WALES = "england-and-wales", "England and Wales"
        SCOTLAND = "scotland", "Scotland"
        NORTHERN_IRELAND = "northern-ireland", "Northern Ireland"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    region = models.CharField(
        max_length=30, choices=Region.choices, default=Region.ENGLAND_AND_WALES
    )
    timezone = models.CharField(max_length=50, default="Europe/London")
    created_at = models.DateTimeField(auto_now_add=True)
    # A new value whenever a closure day is saved or deleted (ClosureDay.save, .delete), so
    # a process may keep the partnership's closure days until it changes. Never reused: a
    # change rolled back leaves the stamp the closure days had before it.
    calendar_stamp = models.CharField(max_length=32, blank=True, default="")
    # The number of the partnership's last disagreement: each partnership numbers its own,
    # so a reference tells nobody how many another partnership has.
    last_case_number = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClosureDay(models.Model):
    """A day the partnership treats as non-working, beyond the bank holidays."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="closures")
    day = models.DateField()
    name = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partnership", "day"], name="one_closure_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        self._stamp_calendar()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        deleted = super().delete(*args, **kwargs)
        self._stamp_calendar()
        return deleted

    def _stamp_calendar(self) -> None:
        """Tell every process that kept this partnership's closure days to read them again."""
        Partnership.objects.filter(pk=self.partnership_id).update(calendar_stamp=uuid.uuid4().hex)


class Agency(models.Model):
    class Kind(models.TextChoices):
        CHILDRENS_SERVICES = "childrens-services", "Council children's services"
        ADULT_SERVICES = "adult-services", "Council adult services"
        COUNCIL = "council", "Council (other)"
        NHS_TRUST = "nhs-trust", "NHS trust"
        INTEGRATED_CARE_BOARD = "icb", "Integrated care board"
        POLICE = "police", "Police"
        SCHOOL = "school", "School or college"
        PROBATION = "probation", "Probation"
        CAFCASS = "cafcass", "Cafcass"
        HOUSING = "housing", "Housing"
        YOUTH_JUSTICE = "youth-justice", "Youth justice"
        FIRE = "fire", "Fire and rescue"
        VOLUNTARY = "voluntary", "Voluntary sector"
        PARTNERSHIP = "partnership", "Partnership business unit"
        OTHER = "other", "Other"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="agencies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(fields=["partnership", "name"], name="agency_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="person",
        null=True,
        blank=True,
    )
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    job_title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name


class RoleAssignment(models.Model):
    """A role a person holds: in an agency, or partnership-wide when ``agency`` is empty.

    ``procedure_ids`` names the procedures for which the person fills that rung of the
    agency's ladder; empty means every procedure of the partnership.

    ``acts_for``: an agency with no escalation officer of its own for which this role,
    held in ``agency``, acts (the ICB's named GP safeguarding lead acting for a GP
    practice). Such a role counts in the agency it acts for, and not in its own; the
    record says "acting for" that agency (parley.core.roles).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="roles", null=True, blank=True
    )
    role = models.CharField(max_length=60)
    procedure_ids = models.JSONField(default=list, blank=True)
    acts_for = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="proxies", null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "agency", "role"],
                condition=Q(agency__isnull=False, acts_for__isnull=True),
                name="role_once_per_agency",
            ),
            models.UniqueConstraint(
                fields=["person", "agency", "role", "acts_for"],
                condition=Q(acts_for__isnull=False),
                name="role_once_per_agency_acted_for",
            ),
            models.CheckConstraint(
                condition=Q(acts_for__isnull=True) | Q(agency__isnull=False),
                name="acts_for_from_an_agency",
            ),
            models.UniqueConstraint(
                fields=["person", "role"],
                condition=Q(agency__isnull=True),
                name="partnership_role_once",
            ),
        ]
        indexes = [models.Index(fields=["agency", "role"], name="role_by_agency")]

    def __str__(self) -> str:
        acting = f", acting for {self.acts_for}" if self.acts_for_id else ""
        return f"{self.person} — {self.role} ({self.agency or 'partnership'}{acting})"

    @property
    def counts_in_id(self) -> int | None:
        """The agency this role counts in: the one it acts for, else its own (None:
        partnership-wide)."""
        return self.acts_for_id or self.agency_id


class ProcedureVersionManager(models.Manager["ProcedureVersion"]):
    """Leaves the file's text in the database until it is asked for.

    A version is parsed once per process (``selectors.procedure_of``, cached by its
    hash); every later read needs only the hash, so pages do not carry the whole file
    out of the database on each request.
    """

    def get_queryset(self) -> models.QuerySet[ProcedureVersion]:
        return super().get_queryset().defer("source_text")


class ProcedureVersion(models.Model):
    """One version of a procedure file as loaded; a case keeps the version it started under."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="procedures"
    )
    procedure_id = models.SlugField(max_length=80)
    version = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    source_text = models.TextField()
    source_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    is_current = models.BooleanField(default=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    # Who published it, and through what ("web", "command", "demo", "generator"); empty
    # for versions loaded before publishing was recorded.
    published_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    published_via = models.CharField(max_length=20, blank=True)
    # For a local procedure, the version of the regional one it extends: the two layers
    # are kept, and the procedure is this file laid over that one.
    base = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="local_versions", null=True, blank=True
    )

    objects = ProcedureVersionManager()

    class Meta:
        ordering = ["name", "-loaded_at"]
        # ``case.procedure`` is read through this manager too, so it defers the text.
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "procedure_id", "version"], name="procedure_version_unique"
            ),
            models.UniqueConstraint(
                fields=["partnership", "procedure_id"],
                condition=Q(is_current=True),
                name="one_current_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class Disagreement(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Route(models.TextChoices):
        STANDARD = "standard", "Standard"
        IMMEDIATE_RISK = "immediate-risk", "Immediate risk"

    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, related_name="disagreements"
    )
    procedure = models.ForeignKey(
        ProcedureVersion, on_delete=models.PROTECT, related_name="disagreements"
    )
    reference = models.CharField(max_length=40)
    track = models.CharField(max_length=80)
    # Current state, derived from the events and kept here for lists and filters.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.STANDARD)
    stage = models.CharField(max_length=80)
    stage_number = models.PositiveSmallIntegerField(default=1)
    highest_stage_number = models.PositiveSmallIntegerField(default=1)
    stage_entered_at = models.DateTimeField()
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True)
    # Who is involved.
    raised_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="raised")
    raised_on_behalf_of = models.CharField(max_length=200, blank=True)
    raising_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="raised")
    # The raiser's team, where the procedure's form asks for it (TWSP Appendix 3,
    # "Agency/Team").
    raising_team = models.CharField(max_length=200, blank=True)
    other_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="received")
    other_professional = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="received", null=True, blank=True
    )
    other_professional_name = models.CharField(max_length=200, blank=True)
    # What it is about. The person's details are only what the procedure's forms need.
    subject_name = models.CharField(max_length=200, blank=True)
    subject_date_of_birth = models.DateField(null=True, blank=True)
    subject_nhs_number = models.CharField(max_length=12, blank=True)
    subject_client_reference = models.CharField(max_length=60, blank=True)
    subject_gp = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=80, blank=True)
    summary = models.TextField()
    evidence = models.TextField(blank=True)
    outcome_sought = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    outstanding = models.TextField(blank=True)
    request_key = models.CharField(max_length=64, blank=True, null=True, unique=True)
    # How many entries its record has: the version of the case a form or an API call was
    # filled in against. Every change adds to the record, so a change made against an
    # older version is one made without knowing what happened since.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "reference"], name="case_reference_in_partnership"
            )
        ]
        indexes = [
            models.Index(fields=["partnership", "status", "next_due_at"], name="case_due"),
            models.Index(fields=["partnership", "raised_at"], name="case_raised"),
            models.Index(fields=["raising_agency", "status"], name="case_raising_agency"),
            models.Index(fields=["other_agency", "status"], name="case_other_agency"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def inside_one_agency(self) -> bool:
        """A challenge inside one agency (a single-agency procedure): both sides are it."""
        return self.raising_agency_id == self.other_agency_id


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the record of a disagreement cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the record of a disagreement cannot be deleted")


class Event(models.Model):
    """One entry in a disagreement's record. Append-only."""

    disagreement = models.ForeignKey(Disagreement, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="events", null=True, blank=True
    )
    stage = models.CharField(max_length=80)
    data = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["disagreement", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["disagreement", "sequence"], name="event_sequence")
        ]
        indexes = [
            # The board report counts issues referred for learning by when they were
            # referred: a few in a hundred cases, so a small index of their own.
            models.Index(
                fields=["at"],
                include=["disagreement"],  # so it is read alone (PostgreSQL)
                name="event_learning",
                condition=Q(kind="learning-referred"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.disagreement_id}#{self.sequence} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the record of a disagreement cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the record of a disagreement cannot be deleted")


class Deadline(models.Model):
    """A copy of a deadline worked out by the planner, kept to find what is overdue fast."""

    disagreement = models.ForeignKey(
        Disagreement, on_delete=models.CASCADE, related_name="deadlines"
    )
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    stage = models.CharField(max_length=80)
    label = models.CharField(max_length=300)
    side = models.CharField(max_length=20)
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    advisory = models.BooleanField(default=False)
    rule = models.CharField(max_length=100)
    explanation = models.CharField(max_length=500)
    # Where the limit comes from, as the pages show it: the document's passage, or that
    # it is Parley's choice and why (parley.core.planner.Deadline.source).
    source = models.CharField(max_length=500, blank=True)
    # The due day is ``working_days`` working days after ``start_on``, when the planner
    # could say so (parley.core.planner.Deadline): then a calendar change moves it by
    # bulk arithmetic alone; otherwise its case is worked out again from the record.
    start_on = models.DateField(null=True, blank=True)
    working_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["disagreement", "key"], name="deadline_key")]
        indexes = [
            models.Index(
                fields=["due_at"],
                name="deadline_open_due",
                condition=Q(met_at__isnull=True, advisory=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} due {self.due_at:%Y-%m-%d %H:%M}"


class Submission(models.Model):
    """One submitted action, by the key its form or API call carried: the same key again
    gets the first result, never a second entry in the record."""

    key = models.CharField(max_length=64, unique=True)
    disagreement = models.ForeignKey(
        Disagreement, on_delete=models.CASCADE, related_name="submissions"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="submissions")
    kind = models.CharField(max_length=40)
    first_sequence = models.PositiveIntegerField()
    last_sequence = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.disagreement_id}: {self.kind} {self.first_sequence}-{self.last_sequence}"
