"""Publishing a partnership's procedure file into the running service: the command line.

``parley procedures load FILE --partnership SLUG [--dry-run]`` makes the same checks as
``parley procedures check``, publishes a new version of that partnership's procedure and
records it in the audit trail with who and when; ``--dry-run`` changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction

from parley.audit.models import AuditEntry
from parley.cases.demo import demo_load
from parley.cases.models import Partnership, ProcedureVersion
from parley.cli import main

pytestmark = pytest.mark.django_db
LIBRARY = Path(__file__).resolve().parents[2] / "parley" / "procedures"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[int]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo_load(with_cases=False).pk
        transaction.set_rollback(True)


@pytest.fixture
def partnership(demo, db) -> Partnership:
    return Partnership.objects.get(pk=demo)


def twsp_changed(tmp_path: Path, version: str = "2027-1", *, within: str = "3") -> Path:
    text = (LIBRARY / "twsp.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "2024-3"', f'version: "{version}"', 1)
    path = tmp_path / "twsp.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def versions(partnership: Partnership) -> list[tuple[str, bool]]:
    return list(
        ProcedureVersion.objects.filter(partnership=partnership, procedure_id="twsp")
        .order_by("loaded_at", "pk")
        .values_list("version", "is_current")
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["procedures", "load", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_dry_run_checks_and_says_what_would_happen_but_changes_nothing(
    partnership, tmp_path, capsys
):
    before = versions(partnership), AuditEntry.objects.count()
    status, out, err = run(
        capsys, str(twsp_changed(tmp_path)), "--partnership", "demo", "--dry-run"
    )
    assert (status, err) == (0, "")
    assert out == (
        "twsp.yaml: ok — TWSP Resolution and Escalation Process, version 2027-1 would be "
        "published for Demoshire Safeguarding Partnership in place of version 2024-3. "
        "Dry run: nothing was published.\n"
    )
    assert (versions(partnership), AuditEntry.objects.count()) == before


def test_loading_publishes_a_new_version_recorded_with_who_and_when(partnership, tmp_path, capsys):
    status, out, err = run(
        capsys, str(twsp_changed(tmp_path)), "--partnership", "demo", "--by", "ben.business"
    )
    assert (status, err) == (0, "")
    assert "published TWSP Resolution and Escalation Process, version 2027-1" in out
    assert versions(partnership) == [("2024-3", False), ("2027-1", True)]
    new = ProcedureVersion.objects.get(partnership=partnership, version="2027-1")
    assert (new.published_by.user.username, new.published_via) == ("ben.business", "command")
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None
    assert (entry.action, entry.username, entry.partnership_id) == (
        "procedure.publish",
        "ben.business",
        partnership.pk,
    )
    assert entry.detail["procedure"] == "twsp@2027-1"
    assert entry.detail["previous"] == "twsp@2024-3"
    assert entry.detail["via"] == "command"
    # The same file again changes nothing and records nothing.
    count = AuditEntry.objects.count()
    status, out, _ = run(capsys, str(twsp_changed(tmp_path)), "--partnership", "demo")
    assert status == 0 and "already the version in use; nothing changed" in out
    assert AuditEntry.objects.count() == count


def test_a_changed_file_that_keeps_its_version_is_refused_with_its_line(
    partnership, tmp_path, capsys
):
    path = twsp_changed(tmp_path, "2024-3")
    path.write_text(path.read_text() + "\n# changed\n")
    status, out, err = run(capsys, str(path), "--partnership", "demo")
    assert status == 1
    line = next(
        n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("version:")
    )
    assert err.startswith(f'twsp.yaml, line {line}: version "2024-3" of "twsp" was published on ')
    assert 'with different contents: give this file a new "version" to publish it' in err
    assert versions(partnership) == [("2024-3", True)]


def test_a_broken_file_is_refused_with_every_problem_and_nothing_is_published(
    partnership, tmp_path, capsys
):
    path = twsp_changed(tmp_path)
    path.write_text(path.read_text().replace("within: 5 working days", "within: 5 days", 1))
    before = AuditEntry.objects.count()
    status, _, err = run(capsys, str(path), "--partnership", "demo")
    assert status == 1
    assert "twsp.yaml, line " in err and "does not say which days count" in err
    assert err.endswith("twsp.yaml: refused — 1 problem; nothing was published\n")
    assert versions(partnership) == [("2024-3", True)]
    assert AuditEntry.objects.count() == before


def test_a_nul_byte_is_refused_not_a_traceback(partnership, tmp_path, capsys):
    path = twsp_changed(tmp_path)
    path.write_text("parley: 1\x00\n" + path.read_text())
    status, _, err = run(capsys, str(path), "--partnership", "demo")
    assert status == 1
    assert "twsp.yaml, line 1: this line holds a character" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--partnership", "nowhere"], 'there is no partnership "nowhere"; partnerships: demo'),
        (["--partnership", "demo", "--by", "nobody"], 'no one in demo with the username "nobody"'),
    ],
)
def test_an_unknown_partnership_or_person_is_a_usage_error(
    partnership, tmp_path, capsys, argv, message
):
    status, out, err = run(capsys, str(twsp_changed(tmp_path)), *argv)
    assert (status, out) == (2, "")
    assert message in err


# --- a local procedure over a regional one ----------------------------------------------

FIXTURES = Path(__file__).resolve().parents[1] / "core" / "fixtures" / "procedures"


def pennine(tmp_path: Path, regional_version: str = "2026-1") -> tuple[Path, Path]:
    regional = tmp_path / "pennine-regional.yaml"
    regional.write_text(
        (FIXTURES / "pennine-regional.yaml")
        .read_text()
        .replace('version: "2026-1"', f'version: "{regional_version}"', 1)
    )
    local = tmp_path / "pennine-eastdale.yaml"
    local.write_text((FIXTURES / "pennine-eastdale.yaml").read_text())
    return regional, local


def test_a_local_file_needs_its_regional_file_published_first(partnership, tmp_path, capsys):
    _, local = pennine(tmp_path)  # the regional file is beside it, but not published
    status, _, err = run(capsys, str(local), "--partnership", "demo")
    assert status == 1
    assert (
        'pennine-eastdale.yaml, line 4: it extends "pennine-regional.yaml", which this '
        "partnership has not published: publish that file first"
    ) in err


def test_both_layers_are_kept_and_the_local_one_is_merged_again_over_a_new_regional(
    partnership, tmp_path, capsys
):
    from parley.cases import selectors

    regional, local = pennine(tmp_path)
    assert run(capsys, str(regional), "--partnership", "demo")[0] == 0
    assert run(capsys, str(local), "--partnership", "demo")[0] == 0
    eastdale = ProcedureVersion.objects.get(procedure_id="pennine-eastdale", is_current=True)
    assert eastdale.base is not None and eastdale.base.procedure_id == "pennine-regional"
    assert eastdale.source_text == local.read_text()  # its own layer, as written
    merged = selectors.procedure_of(eastdale)
    assert [s.id for s in merged.track().stages] == ["stage-1", "stage-2", "stage-4"]
    assert merged.track().stage("stage-2").within.describe() == "3 working days"
    # Which rules came from which file.
    assert merged.track().stage("stage-2").source.file == "pennine-eastdale.yaml"
    assert merged.track().stage("stage-1").source.file == "pennine-regional.yaml"

    (tmp_path / "next").mkdir()
    newer, _ = pennine(tmp_path / "next", "2027-1")
    status, out, err = run(capsys, str(newer), "--partnership", "demo", "--by", "ben.business")
    assert (status, err) == (0, ""), out
    remerged = ProcedureVersion.objects.get(procedure_id="pennine-eastdale", is_current=True)
    assert remerged.version == "2026-1+2027-1"
    assert remerged.base is not None and remerged.base.version == "2027-1"
    assert remerged.published_by is not None
    assert selectors.procedure_of(remerged).version == "2026-1+2027-1"
    assert not ProcedureVersion.objects.get(pk=eastdale.pk).is_current
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry is not None and entry.detail["merged_over"] == "pennine-regional@2027-1"
