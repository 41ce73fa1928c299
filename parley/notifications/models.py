"""The notification outbox, each partnership's notification settings, and sweep runs.

A ``Notification`` row is written in the same transaction as the change that causes it
(or by the sweep that finds a deadline due) and sent later by the worker: see
docs/adr/0003-notification-outbox-and-worker.md. Rows are never deleted when a send
fails: they end ``sent``, ``failed`` (visible, retried by hand), ``cancelled`` (no
longer needed, with the reason) or, rarely, ``unconfirmed`` (handed over, no answer:
docs/notifications.md says what is guaranteed).
"""

from __future__ import annotations

from datetime import time

from django.db import models
from django.db.models import Q

from parley.cases.models import Disagreement, Partnership, Person
from parley.core.notify import NoticeKind


class NotificationSettings(models.Model):
    """How a partnership wants to be reminded; a partnership without a row gets the
    defaults (a reminder 1 working day before, working hours 8am to 6pm)."""

    class LeadUnit(models.TextChoices):
        WORKING_DAYS = "working_days", "working days"
        HOURS = "hours", "hours"

    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, related_name="notification_settings"
    )
    reminder_lead = models.PositiveSmallIntegerField(default=1)
    reminder_unit = models.CharField(
        max_length=20, choices=LeadUnit.choices, default=LeadUnit.WORKING_DAYS
    )
    working_hours_start = models.TimeField(default=time(8, 0))
    working_hours_end = models.TimeField(default=time(18, 0))

    class Meta:
        verbose_name_plural = "notification settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(working_hours_start__lt=models.F("working_hours_end")),
                name="working_hours_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"Notification settings for {self.partnership}"


class Notification(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        # Handed to the mail server, whose answer never came back (the sender stopped or
        # the connection broke at that moment): it may have gone, so it is not sent again
        # by itself (docs/notifications.md). For a moment, every email is here.
        UNCONFIRMED = "unconfirmed", "Sent, not confirmed"
        RETRYING = "retrying", "Waiting to retry"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Not needed"

    class Kind(models.TextChoices):
        IMMEDIATE_RISK = NoticeKind.IMMEDIATE_RISK.value, "Immediate risk"
        RAISED_WITH_YOU = NoticeKind.RAISED_WITH_YOU.value, "Raised with you"
        ESCALATED_TO_YOU = NoticeKind.ESCALATED_TO_YOU.value, "Escalated to you"
        OVERDUE = NoticeKind.OVERDUE.value, "Overdue"
        DUE_TODAY = NoticeKind.DUE_TODAY.value, "Due today"
        REMINDER = NoticeKind.REMINDER.value, "Reminder"
        RESPONSE_RECEIVED = NoticeKind.RESPONSE_RECEIVED.value, "Response received"
        FEEDBACK = NoticeKind.FEEDBACK.value, "Progress of your disagreement"
        FORM_SENT = NoticeKind.FORM_SENT.value, "A form sent to you"
        NAMED_ALERT = NoticeKind.NAMED_ALERT.value, "Alert named by the procedure"
        KEPT_INFORMED = NoticeKind.KEPT_INFORMED.value, "Kept informed"
        WITHDRAWN = NoticeKind.WITHDRAWN.value, "Withdrawn"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        GOVUK_NOTIFY = "govuk-notify", "GOV.UK Notify"

    # Statuses the sender picks up once ``next_attempt_at`` has come: queued rows, rows
    # waiting to retry, and rows whose sender's claim has lapsed (it stopped mid-send).
    PENDING = (Status.QUEUED, Status.RETRYING, Status.SENDING)

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="notifications")
    disagreement = models.ForeignKey(
        Disagreement, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    # What the recipient is sent. Never a name, a summary or anything typed about the
    # case: only what is due, the case reference and a link (tests check this).
    subject = models.CharField(max_length=200)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=255, unique=True)
    urgent = models.BooleanField(default=False)
    # For reminders, "due today" and "overdue": the deadline it is about, so that a
    # notice for a deadline since met or moved is not sent.
    deadline_key = models.CharField(max_length=200, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    scheduled_for = models.DateTimeField()  # the earliest it may go (working hours)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A delivery is one message (a digest may carry several rows). Its key is sent with
    # it (Message-ID, Notify reference) and kept when the send is repeated, so the
    # receiving end can tell a repeat from a new message.
    delivery_key = models.UUIDField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_pending",
                condition=Q(status__in=["queued", "retrying", "sending"]),
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_mine"),
            models.Index(
                fields=["partnership", "status", "-created_at"], name="notification_by_status"
            ),
            models.Index(
                fields=["disagreement", "deadline_key", "due_at", "kind"],
                name="notification_deadline",
            ),
            models.Index(fields=["delivery_key"], name="notification_delivery"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id} ({self.status})"


class SweepRun(models.Model):
    """One sweep for due deadlines: when, as of when, and what it found."""

    started_at = models.DateTimeField(auto_now_add=True)
    as_of = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    deadlines_examined = models.PositiveIntegerField(default=0)
    notifications_written = models.PositiveIntegerField(default=0)
    withheld = models.PositiveIntegerField(default=0)  # would-be recipients who cannot see the case
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"Sweep as of {self.as_of:%Y-%m-%d %H:%M}"
