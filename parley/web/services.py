"""Writes the web app owns: storing an evidence file together with its record entry.

The change to the disagreement itself still goes through
:func:`parley.cases.services.disagreement_act`; this adds the file around it, in one
transaction, and removes the stored file again if the action is refused.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from parley.cases import services
from parley.cases.models import Disagreement, Person
from parley.core.engine import EventKind
from parley.private_files import private_file_open, private_folder
from parley.web.forms import FileType
from parley.web.models import EvidenceFile


def evidence_dir() -> Path:
    """Where evidence files live: outside the static files, never served directly."""
    configured = getattr(settings, "PARLEY_EVIDENCE_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "evidence"


def evidence_path(evidence: EvidenceFile) -> Path:
    return evidence_dir() / evidence.token


def _display_name(original: str, kind: FileType) -> str:
    """The name to show and download under: the typed name, with the extension its
    content really has (a text file called report.html downloads as report.html.txt)."""
    name = Path(original.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f\"/\\]", "", name).strip(" .")[:200] or "evidence"
    if not name.lower().endswith(kind.extensions):
        name = f"{name}{kind.extensions[0]}"
    return name


def evidence_attach(
    *,
    disagreement: Disagreement,
    person: Person,
    upload: UploadedFile,
    kind: FileType,
    description: str = "",
    at: datetime | None = None,
    version: int | None = None,
    request_key: str | None = None,
    request: Any = None,
) -> EvidenceFile:
    """Store the file under a random name and record it on the disagreement, or neither.

    The file is 0600 in a folder of 0700 (:mod:`parley.private_files`). ``version`` and
    ``request_key`` are passed to the one door; a submission sent again stores nothing and
    returns the file the first one stored.
    """
    at = at or timezone.now()
    if request_key and services.submitted(request_key, disagreement=disagreement):
        first = services.disagreement_act(
            disagreement=disagreement,
            person=person,
            kind=EventKind.EVIDENCE_ATTACHED,
            request_key=request_key,
        )
        return EvidenceFile.objects.get(
            disagreement=disagreement, token=str(first[0].data.get("evidence"))
        )
    folder = private_folder(evidence_dir())
    token = secrets.token_urlsafe(24)
    path = folder / token
    digest = hashlib.sha256()
    size = 0
    with private_file_open(path) as stored:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            stored.write(chunk)
    try:
        with transaction.atomic():
            evidence = EvidenceFile.objects.create(
                disagreement=disagreement,
                token=token,
                original_name=_display_name(upload.name or "", kind),
                content_type=kind.content_type,
                size=size,
                sha256=digest.hexdigest(),
                description=description,
                uploaded_by=person,
                uploaded_at=at,
            )
            services.disagreement_act(
                disagreement=disagreement,
                person=person,
                kind=EventKind.EVIDENCE_ATTACHED,
                at=at,
                version=version,
                request_key=request_key,
                request=request,
                via="web",
                filename=evidence.original_name,
                evidence=token,
                text=description,
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return evidence
