"""The audit trail: who did what, when, from where. Append-only and hash-chained.

Entries are written by ``services.audit_record`` only. Django refuses to update or delete
them, and database triggers refuse too (migration ``0002_audit_append_only_triggers``).
Each entry's ``hash`` commits to its facts and to the hash of the entry before it
(``chain.link_hash``), so ``parley audit verify`` finds an entry changed, removed or
moved by someone who went round both. Checkpoints record the head of the trail as it
was verified, so removing the newest entries is found too.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from parley.audit.chain import Link
from parley.cases.models import AppendOnlyError, Disagreement, Partnership, Person


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("the audit trail cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit trail cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("the audit trail cannot be changed")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[Any]:
        # Entries are chained one at a time, under a lock, by services.audit_record.
        raise AppendOnlyError("audit entries are added one at a time by audit_record")


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the audit trail cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("the audit trail cannot be deleted")


class AuditEntry(AppendOnly):
    """One thing someone did. ``sequence`` runs 1, 2, 3 ... across the whole trail."""

    sequence = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    action = models.CharField(max_length=40)
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        null=True,
        blank=True,
        db_index=False,
    )
    # As typed, for a failed sign-in; the signed-in user's username otherwise.
    username = models.CharField(max_length=150, blank=True)
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        null=True,
        blank=True,
        db_index=False,
    )
    disagreement = models.ForeignKey(
        Disagreement,
        on_delete=models.PROTECT,
        related_name="audit_entries",
        null=True,
        blank=True,
        db_index=False,
    )
    reference = models.CharField(max_length=40, blank=True)
    # Text, not GenericIPAddressField: PostgreSQL's inet rewrites some IPv6 forms, and the
    # hash is recomputed from what comes back.
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=500, blank=True)
    method = models.CharField(max_length=10, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "audit entries"
        # Django's internal manager too, so no path through Django updates or deletes.
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["partnership", "sequence"], name="audit_by_partnership"),
            models.Index(fields=["disagreement", "sequence"], name="audit_by_case"),
            models.Index(fields=["person", "sequence"], name="audit_by_person"),
            models.Index(fields=["reference", "sequence"], name="audit_by_reference"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def link(self) -> Link:
        return Link(
            sequence=self.sequence,
            at=self.at,
            action=self.action,
            person_id=self.person_id,
            username=self.username,
            partnership_id=self.partnership_id,
            disagreement_id=self.disagreement_id,
            reference=self.reference,
            ip_address=self.ip_address,
            user_agent=self.user_agent,
            path=self.path,
            method=self.method,
            detail=self.detail,
            previous_hash=self.previous_hash,
        )


class AuditCheckpoint(AppendOnly):
    """The head of the trail when it was last verified intact.

    The operator also keeps the printed head outside the database: someone able to
    rewrite the database could rewrite these rows too.
    """

    sequence = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    entries_checked = models.PositiveBigIntegerField()
    at = models.DateTimeField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["sequence", "at"]
        base_manager_name = "objects"

    def __str__(self) -> str:
        return f"checkpoint at #{self.sequence}"
