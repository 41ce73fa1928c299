"""The directory's management commands: the same services, in plain words."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from parley.cases.models import Partnership, RoleAssignment
from tests.directory.conftest import EXAMPLES, at, raise_twsp


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_dry_run_then_import_then_export(partnership: Partnership, tmp_path):
    sample = str(EXAMPLES / "directory-twsp.csv")
    before = RoleAssignment.objects.count()
    out, _ = run("directory_import", sample, "--partnership", "demo", "--dry-run")
    assert "Roles: 24 added" in out and "nothing was written" in out
    assert RoleAssignment.objects.count() == before
    out, _ = run("directory_import", sample, "--partnership", "demo", "--by", "ari.admin")
    assert RoleAssignment.objects.count() == before + 24
    exported = tmp_path / "out.csv"
    run("directory_export", "--partnership", "demo", "--out", str(exported))
    out, _ = run("directory_import", str(exported), "--partnership", "demo", "--dry-run")
    assert "there is nothing to change" in out


def test_import_with_problems_lists_them_and_fails(partnership: Partnership, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email,role\nJo,jo@example,Practitioner\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 problems: nothing was imported"):
        call_command("directory_import", str(bad), "--partnership", "demo", stderr=err)
    assert "Row 2: 'jo@example' is not an email address" in err.getvalue()


def test_an_unknown_partnership_is_named(partnership: Partnership):
    with pytest.raises(CommandError, match='There is no partnership "nowhere"'):
        run("directory_export", "--partnership", "nowhere")


def test_retention_apply_with_a_date(partnership: Partnership):
    out, _ = run("retention_apply", "--dry-run", "--now", "2040-01-01")
    assert "Would anonymise 0 disagreements" in out
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("retention_apply", "--now", "next year")
    with pytest.raises(CommandError, match="only with --dry-run: nothing is removed early"):
        run("retention_apply", "--now", "2040-01-01")


def test_subject_access_export_writes_a_private_file_and_will_not_overwrite(
    partnership: Partnership, tmp_path
):
    twsp = partnership.procedures.get(procedure_id="twsp", is_current=True)
    raise_twsp(partnership, twsp, at(2026, 12, 21, 10), subject_client_reference="CS-9")
    out_file = tmp_path / "sar.json"
    out, _ = run(
        "subject_access_export", "--partnership", "demo", "--client-reference", "CS-9",
        "--out", str(out_file), "--summary", str(tmp_path / "sar.txt"),
    )  # fmt: skip
    assert "1 disagreement" in out
    assert json.loads(out_file.read_text())["disagreements"][0]["subject"]["client_reference"] == (
        "CS-9"
    )
    assert out_file.stat().st_mode & 0o077 == 0
    with pytest.raises(CommandError, match="already exists"):
        run(
            "subject_access_export", "--partnership", "demo", "--client-reference", "CS-9",
            "--out", str(out_file),
        )  # fmt: skip
    with pytest.raises(CommandError, match="Give one of"):
        run("subject_access_export", "--partnership", "demo", "--out", str(tmp_path / "x.json"))
