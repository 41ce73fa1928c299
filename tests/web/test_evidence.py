"""Attaching evidence: the type is judged by content, the size is limited, downloads are
access-checked and audited, and files live outside the static files under random names."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from parley.web.forms import TEN_MEGABYTES
from parley.web.models import EvidenceFile
from tests.web.conftest import main_html, raise_case, submit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def docx(with_document: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        if with_document:
            archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Path, settings: Any) -> Path:
    settings.PARLEY_EVIDENCE_DIR = tmp_path / "evidence"
    return settings.PARLEY_EVIDENCE_DIR


def upload(client: Client, reference: str, name: str, content: bytes, **extra: str) -> Any:
    return submit(
        client,
        f"/cases/{reference}/attach-evidence/",
        {"file": SimpleUploadedFile(name, content), **extra},
    )


ACCEPTED = [
    ("visit-notes.pdf", PDF, "application/pdf"),
    ("photo.png", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    (
        "letter.docx",
        docx(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("notes.txt", "Seen on 3 March: bruising to the arm. 😟".encode(), "text/plain; charset=utf-8"),
]
REFUSED = [
    ("report.pdf", b"<html><script>alert(1)</script></html>\x00\x01"),  # named PDF, is not
    ("archive.docx", docx(with_document=False)),  # a zip, not a Word document
    ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00\xff" * 20),
    ("image.png", b"GIF89a" + b"\x00" * 10),
]


def test_each_accepted_type_is_attached(
    as_person: Callable[[str], Client], evidence_dir: Path
) -> None:
    case = raise_case()
    client = as_person("nia.nurse")
    for name, content, content_type in ACCEPTED:
        response = upload(client, case.reference, name, content)
        assert response.status_code == 302, main_html(response)
        evidence = EvidenceFile.objects.get(original_name=name)
        assert evidence.content_type == content_type
        assert (evidence_dir / evidence.token).read_bytes() == content
        assert name not in evidence.token  # stored under a random name


def test_a_file_whose_content_is_not_an_accepted_type_is_refused(
    as_person: Callable[[str], Client], evidence_dir: Path
) -> None:
    case = raise_case()
    client = as_person("nia.nurse")
    for name, content in REFUSED:
        response = upload(client, case.reference, name, content)
        assert response.status_code == 200
        assert "must be a PDF, Word document (.docx), PNG, JPEG or plain text" in main_html(
            response
        ), name
    assert not EvidenceFile.objects.exists()
    assert not evidence_dir.exists() or not any(evidence_dir.iterdir())


def test_a_text_file_named_as_a_web_page_downloads_as_text(
    as_person: Callable[[str], Client],
) -> None:
    case = raise_case()
    client = as_person("nia.nurse")
    upload(client, case.reference, "page.html", b"<script>alert(1)</script>")
    evidence = EvidenceFile.objects.get()
    assert evidence.original_name == "page.html.txt"
    response = client.get(f"/cases/{case.reference}/evidence/{evidence.token}/")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]


def test_a_file_over_ten_megabytes_is_refused(as_person: Callable[[str], Client]) -> None:
    case = raise_case()
    response = upload(as_person("nia.nurse"), case.reference, "big.pdf", PDF + b"0" * TEN_MEGABYTES)
    assert "must be smaller than 10MB" in main_html(response)
    assert not EvidenceFile.objects.exists()


def test_an_empty_or_missing_file_is_refused(as_person: Callable[[str], Client]) -> None:
    case = raise_case()
    client = as_person("nia.nurse")
    assert "The selected file is empty" in main_html(upload(client, case.reference, "a.pdf", b""))
    response = submit(client, f"/cases/{case.reference}/attach-evidence/", {})
    assert "Select a file" in main_html(response)


def test_a_download_is_audited_and_only_for_people_who_can_see_the_case(
    as_person: Callable[[str], Client], audited: list[dict[str, Any]]
) -> None:
    case = raise_case()
    upload(as_person("nia.nurse"), case.reference, "notes.pdf", PDF, description="Visit notes")
    evidence = EvidenceFile.objects.get()
    url = f"/cases/{case.reference}/evidence/{evidence.token}/"
    page = main_html(as_person("sam.social").get(f"/cases/{case.reference}/"))
    assert url in page and "Visit notes" in page
    audited.clear()
    response = as_person("sam.social").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    assert [c["action"] for c in audited] == ["case.download"]
    assert as_person("tess.teacher").get(url).status_code == 404
    assert as_person("sam.social").get(f"/cases/{case.reference}/evidence/nope/").status_code == 404


def test_evidence_is_stored_outside_the_static_files(evidence_dir: Path) -> None:
    static_roots = [
        Path(settings.STATIC_ROOT),
        *(Path(str(d)) for d in settings.STATICFILES_DIRS if isinstance(d, str | Path)),
    ]
    from parley.web.services import evidence_dir as configured

    assert configured() == evidence_dir
    settings_default = Path(settings.VAR_DIR) / "evidence"
    for root in static_roots:
        assert not str(settings_default).startswith(str(root))
