"""The learning log and a partnership's report settings.

Figures are never stored: a report is worked out from the cases each time it is asked
for. What is kept here is what only people know: what became of a policy, procedure or
training issue referred from a case, and how small a count may be before it is hidden.
"""

from __future__ import annotations

from django.db import models

from parley.cases.models import (
    Agency,
    Disagreement,
    Event,
    Partnership,
    Person,
    ProcedureVersion,
)

DEFAULT_THRESHOLD = 5


class ReportSettings(models.Model):
    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, related_name="report_settings"
    )
    # Counts from 1 to this minus one are hidden in anything shared (docs/reports.md).
    suppression_threshold = models.PositiveSmallIntegerField(default=DEFAULT_THRESHOLD)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "report settings"

    def __str__(self) -> str:
        return f"Report settings of {self.partnership}"


class LearningItem(models.Model):
    """A policy, procedure or training issue referred from a case, and what became of it.

    One per ``learning-referred`` event. The issue as referred may name people, so it is
    shown only on screen to those who run reports; the board sees ``summary``, written
    for sharing.
    """

    class Topic(models.TextChoices):
        POLICY = "policy", "Policy"
        PROCEDURE = "procedure", "Procedure"
        TRAINING = "training", "Training"
        PRACTICE = "practice", "Practice"
        OTHER = "other", "Something else"

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="learning_items"
    )
    procedure_id = models.SlugField(max_length=80)
    disagreement = models.ForeignKey(
        Disagreement, on_delete=models.CASCADE, related_name="learning_items"
    )
    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="learning_item")
    referred_at = models.DateTimeField()
    issue = models.TextField()
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.OTHER)
    summary = models.TextField(blank=True)
    referred_to = models.CharField(max_length=200, blank=True)
    decision = models.TextField(blank=True)
    done_on = models.DateField(null=True, blank=True)
    follow_up_due = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-referred_at"]
        indexes = [
            models.Index(
                fields=["partnership", "follow_up_due"],
                name="learning_follow_up",
                condition=models.Q(done_on__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Learning from {self.disagreement_id} ({self.get_topic_display()})"


class ReportCase(models.Model):
    """Where a case stood when its stages were last worked out from its record.

    A case whose stage, status or stage-entry time no longer match is worked out again
    (:func:`parley.reports.services.stage_spans_refresh`); nothing else can change its
    stages, since the record only grows and every stage change moves those fields.
    """

    disagreement = models.OneToOneField(
        Disagreement, on_delete=models.CASCADE, primary_key=True, related_name="report_case"
    )
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=80)
    status = models.CharField(max_length=20)
    stage_entered_at = models.DateTimeField()
    formal_start_on = models.DateField(null=True)  # the first local day at a formal stage
    resolved_on = models.DateField(null=True)
    # The case's own fields the board report groups by, and its days as local days: a
    # narrow copy, so that a national report reads a small table rather than the cases.
    raised_on = models.DateField(null=True)
    closed_on = models.DateField(null=True)
    raising_agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", null=True
    )
    other_agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", null=True)
    category = models.CharField(max_length=80, blank=True)
    highest_stage_number = models.PositiveSmallIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["version", "resolved_on"], name="report_case_resolved")]

    def __str__(self) -> str:
        return f"Report copy of {self.disagreement_id}"


class StageSpan(models.Model):
    """One stage of one case: when it got there and when it left, as local days too."""

    disagreement = models.ForeignKey(
        Disagreement, on_delete=models.CASCADE, related_name="stage_spans"
    )
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=80)
    entered_at = models.DateTimeField()
    entered_on = models.DateField()
    left_at = models.DateTimeField(null=True)
    left_on = models.DateField(null=True)
    left_by = models.CharField(max_length=40, blank=True)
    immediate = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["version", "left_on"], name="span_left"),
            models.Index(fields=["version", "entered_on"], name="span_entered"),
        ]

    def __str__(self) -> str:
        return f"{self.disagreement_id} at {self.stage}"
