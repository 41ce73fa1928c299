"""Files Parley writes that hold case data are 0600 in 0700 folders, whatever the umask.

Before, evidence files and backups were written 0644 (readable by anyone on the host),
and ``parley backup --out`` silently replaced an existing file.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parley.cases.demo import demo_load, person
from parley.cli import main
from parley.ops.backup import BackupError, database_backup
from parley.web.forms import TEXT
from parley.web.services import evidence_attach
from tests.web.conftest import raise_case

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual umask, under which a plain open() makes files anyone can read."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_evidence_files_are_private(db: Any, tmp_path: Path, settings: Any) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir(mode=0o755)  # as an earlier version left it
    settings.PARLEY_EVIDENCE_DIR = folder
    demo_load(with_cases=False)
    case = raise_case()
    evidence = evidence_attach(
        disagreement=case,
        person=person("nia.nurse"),
        upload=SimpleUploadedFile("notes.txt", b"Seen on 3 March."),
        kind=TEXT,
    )
    assert mode(folder / evidence.token) == 0o600
    assert mode(folder) == 0o700


def test_a_new_evidence_folder_is_private(db: Any, tmp_path: Path, settings: Any) -> None:
    settings.PARLEY_EVIDENCE_DIR = tmp_path / "new" / "evidence"
    demo_load(with_cases=False)
    evidence_attach(
        disagreement=raise_case(),
        person=person("nia.nurse"),
        upload=SimpleUploadedFile("notes.txt", b"Seen."),
        kind=TEXT,
    )
    assert mode(tmp_path / "new" / "evidence") == 0o700


def test_a_backup_is_private(transactional_db: Any, tmp_path: Path) -> None:
    demo_load(with_cases=False)
    out = tmp_path / "parley.backup"
    database_backup(out=out)
    assert out.stat().st_size > 0
    assert mode(out) == 0o600


def test_a_backup_does_not_replace_a_file_unless_forced(
    transactional_db: Any, tmp_path: Path, capsys: Any
) -> None:
    demo_load(with_cases=False)
    out = tmp_path / "parley.backup"
    out.write_bytes(b"yesterday's backup")
    with pytest.raises(BackupError, match="already a file"):
        database_backup(out=out)
    assert main(["backup", "--out", str(out)]) == 1
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"yesterday's backup"
    assert main(["backup", "--out", str(out), "--force"]) == 0
    assert out.read_bytes() != b"yesterday's backup"
    assert mode(out) == 0o600


def test_a_directory_export_is_private(db: Any, tmp_path: Path) -> None:
    from django.core.management import call_command

    demo_load(with_cases=False)
    out = tmp_path / "directory.csv"
    call_command("directory_export", "--partnership", "demo", "--out", str(out))
    assert out.read_text(encoding="utf-8-sig").startswith("agency")
    assert mode(out) == 0o600


def test_the_var_folder_is_private(tmp_path: Path) -> None:
    """It holds the development database, mail and, by default, evidence."""
    var = tmp_path / "var"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    environment.update(PARLEY_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="parley.settings")
    subprocess.run(
        [sys.executable, "-c", "import os; os.umask(0o022); import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        check=True,
        timeout=120,
    )
    assert mode(var) == 0o700
