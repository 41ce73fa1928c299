"""Files attached to a disagreement as evidence.

The file itself is stored outside the static files, under a random name, and is served
only through the access-checked, audited download page. The record of the disagreement
says who attached what and when (an ``evidence-attached`` event naming this row's token).
"""

from __future__ import annotations

from django.db import models

from parley.cases.models import Disagreement, Person


class EvidenceFile(models.Model):
    disagreement = models.ForeignKey(
        Disagreement, on_delete=models.CASCADE, related_name="evidence_files"
    )
    token = models.CharField(max_length=64, unique=True)  # also the stored file's name
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.disagreement_id})"
