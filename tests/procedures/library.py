"""The procedures in tests/procedures/: partnerships' own procedures, each written from its
public document, with a timeline of dates counted by hand.

Every ``<id>.yaml`` here is a procedure (``<id>.timeline.yaml`` is its timeline, and
``documents/<id>.txt`` the excerpts of its document). The tests read this list, so a file
added here is checked without any change to them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

HERE = Path(__file__).resolve().parent
DOCUMENTS = HERE / "documents"
LONDON = ZoneInfo("Europe/London")

# The three holiday periods every timeline crosses: the first and last day of each, as the
# bank holidays of England and Wales, Scotland and Northern Ireland fall in 2026-27
# (Scotland's 2 January falls on a Saturday and is kept on Monday 4 January; Scotland has
# no Easter Monday; Northern Ireland keeps both Easter days).
PERIODS: dict[str, tuple[date, date]] = {
    "Christmas and New Year 2026-27": (date(2026, 12, 25), date(2027, 1, 4)),
    "Easter 2027": (date(2027, 3, 26), date(2027, 3, 29)),
    "the May 2027 bank holidays": (date(2027, 5, 3), date(2027, 5, 31)),
}


def procedure_files() -> list[Path]:
    return sorted(p for p in HERE.glob("*.yaml") if not p.name.endswith(".timeline.yaml"))


def timeline_file(procedure: Path) -> Path:
    return procedure.with_name(f"{procedure.stem}.timeline.yaml")


def document_file(procedure: Path) -> Path:
    return DOCUMENTS / f"{procedure.stem}.txt"


def raw(procedure: Path) -> dict[str, Any]:
    data = yaml.safe_load(procedure.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def base_of(procedure: Path) -> Path | None:
    """The regional file a local file extends, if it does."""
    target = raw(procedure).get("extends")
    if not target:
        return None
    name = str(target) if str(target).endswith((".yaml", ".yml")) else f"{target}.yaml"
    return procedure.parent / name


def moment(value: Any) -> datetime:
    """A timeline's ``raised``: "2026-12-23T10:00" (or a YAML timestamp), London time."""
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return found if found.tzinfo else found.replace(tzinfo=LONDON)


def day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def answer_text(value: Any) -> str:
    """An answer as a case keeps it: YAML reads 2026-12-01 as a date, kept as "2026-12-01";
    yes-no as "yes" or "no" (YAML reads an unquoted yes as true)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def cases(procedure: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(timeline_file(procedure).read_text(encoding="utf-8"))
    assert isinstance(data, list) and data, f"{timeline_file(procedure).name} lists no cases"
    return data
