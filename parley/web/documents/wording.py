"""Dates, times and roles in the words a form or a page uses (GOV.UK style).

Hand-typed names rather than ``strftime`` so the words never depend on the process locale.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from parley.core.procedure import Procedure, Side
from parley.core.words import long_date

SIDE_WORDS = {
    Side.RAISING: "The agency that raised it",
    Side.OTHER: "The other agency",
    Side.BOTH: "Both agencies",
    Side.PARTNERSHIP: "The partnership",
}


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def local_date(moment: datetime | None, zone: str, *, weekday: bool = False) -> str:
    """The day a moment falls on where the partnership is, in words."""
    if moment is None:
        return ""
    return long_date(local(moment, zone).date(), weekday=weekday)


def role_list(procedure: Procedure, roles: Iterable[str]) -> str:
    """The roles' labels as the procedure names them: "Practitioner or Line manager".

    Labels that have "or" in them ("Designated or named safeguarding lead") are kept
    apart with semicolons, so the list still reads as a list.
    """
    labels = [procedure.role_label(role) for role in dict.fromkeys(roles)]
    if len(labels) <= 1:
        return "".join(labels)
    if any(" or " in label for label in labels):
        return "; ".join(labels)
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


def stage_title(number: int, name: str, *, informal: bool = False) -> str:
    """ "Stage 3: Senior managers"; an informal stage has no number in the documents."""
    if informal or number == 0:
        return f"Informal stage: {name}"
    return f"Stage {number}: {name}"
