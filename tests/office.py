"""The programs people open Parley's files with, for the tests: LibreOffice (headless)
for CSV and XLSX, and poppler's PDF tools. A test that needs one is skipped, saying how
to install it, where it is missing (``scripts/ensure-office-tools.sh`` installs both);
``PARLEY_REQUIRE_OFFICE=1`` (CI) turns that skip into a failure."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

# The mark that tells a spreadsheet program a CSV file is UTF-8.
BOM = b"\xef\xbb\xbf"
# LibreOffice's CSV import options: comma, double quote, UTF-8, from line 1, and every
# column as text (so that cells read back as written, not as numbers or dates).
CSV_AS_TEXT = "CSV:44,34,76,1,1/2/2/2/3/2/4/2/5/2/6/2/7/2/8/2/9/2/10/2/11/2/12/2"


def _need(program: str, package: str) -> str:
    found = shutil.which(program)
    if found:
        return found
    why = f"{program} is not installed (apt-get install -y {package})"
    if os.environ.get("PARLEY_REQUIRE_OFFICE", "").strip() in {"1", "true", "yes"}:
        pytest.fail(f"PARLEY_REQUIRE_OFFICE=1 but {why}")
    pytest.skip(why)


def soffice_convert(source: Path, to: str, *, infilter: str = "") -> Path:
    """Convert ``source`` with LibreOffice headless (``to``: "xlsx", "pdf", "csv" ...)
    and return the new file. Each call has its own profile, so runs never share one."""
    soffice = _need("soffice", "libreoffice-calc")
    out = source.parent / f"{source.stem}-converted"
    out.mkdir(exist_ok=True)
    profile = source.parent / f"{source.stem}-libreoffice-profile"
    command = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", to, "--outdir", str(out), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    made = out / f"{source.stem}.{to.split(':')[0]}"
    assert made.exists(), f"LibreOffice made nothing: {done.stdout} {done.stderr}"
    return made


def csv_in_libreoffice(data: bytes, folder: Path, name: str = "file") -> list[list[str]]:
    """The cells LibreOffice reads from a CSV file, as text, row by row."""
    source = folder / f"{name}.csv"
    source.write_bytes(data)
    book = load_workbook(soffice_convert(source, "xlsx", infilter=CSV_AS_TEXT))
    sheet = book.worksheets[0]
    return [
        ["" if cell is None else str(cell) for cell in row]
        for row in sheet.iter_rows(values_only=True)
    ]


def pdfinfo(path: Path) -> dict[str, str]:
    """What poppler's pdfinfo says of a PDF, as a dictionary ("Tagged": "yes" ...)."""
    program = _need("pdfinfo", "poppler-utils")
    done = subprocess.run(
        [program, str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    info = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def pdf_pages_as_png(path: Path, *, resolution: int = 50) -> list[Path]:
    """Each page of a PDF as a PNG (poppler's pdftoppm), to look at."""
    program = _need("pdftoppm", "poppler-utils")
    prefix = path.parent / f"{path.stem}-page"
    subprocess.run(
        [program, "-png", "-r", str(resolution), str(path), str(prefix)],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return sorted(path.parent.glob(f"{path.stem}-page*.png"))


def pdftotext(path: Path) -> str:
    program = _need("pdftotext", "poppler-utils")
    done = subprocess.run(
        [program, "-layout", str(path), "-"], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout
