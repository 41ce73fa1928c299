"""What a board report covers: one procedure (every version of it) in one partnership, or
in all of them (:class:`Scope`), and the stage rows its figures are counted from
(:class:`Spans`). Read by the report (:mod:`parley.reports.figures`), its sections, the
lists of cases behind its figures and the trial of a procedure change on the past.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from django.db.models import Case, F, QuerySet, Value, When

from parley.cases.models import Disagreement, Partnership, ProcedureVersion
from parley.cases.selectors import calendar_of, procedure_of
from parley.core import planner
from parley.core import report as core
from parley.core.calendar import WorkingCalendar
from parley.core.procedure import Procedure
from parley.core.report import Days, Limit


@dataclass(frozen=True)
class Scope:
    """One procedure (every version of it) in one partnership, or in all of them."""

    partnership: Partnership | None
    procedure_id: str
    versions: tuple[ProcedureVersion, ...]
    procedures: dict[int, Procedure]  # by ProcedureVersion pk
    current: Procedure
    calendar: WorkingCalendar

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.calendar.timezone)

    @property
    def is_channel(self) -> bool:
        return any(p.is_channel for p in self.procedures.values())

    def cases(self) -> QuerySet[Disagreement]:
        return Disagreement.objects.filter(procedure_id__in=[v.pk for v in self.versions])

    def stages(self) -> list[tuple[str, int, str]]:
        ordered = [self.current, *(p for p in self.procedures.values() if p is not self.current)]
        return core.stages_in_order(ordered)

    def stage_label(self, stage_id: str) -> str:
        for procedure in (self.current, *self.procedures.values()):
            if core.find_stage([procedure], stage_id):
                return core.stage_words(procedure, stage_id)
        return stage_id

    def limit(self, version_pk: int, stage_id: str) -> Limit | None:
        found = core.find_stage([self.procedures[version_pk]], stage_id)
        return core.stage_limit(*found) if found else None

    def overall(self, version_pk: int, stage_id: str) -> Limit | None:
        found = core.find_stage([self.procedures[version_pk]], stage_id)
        return core.overall_limit(*found) if found else None

    def limit_class(self, field: str) -> Case | Value:
        """An expression naming, for the version in ``field``, the first version in scope
        with the same limits at every stage: versions alike (a hundred partnerships on the
        same procedure file) are grouped as one."""
        classes: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for version in self.versions:
            limits = tuple(
                (stage_id, self.limit(version.pk, stage_id), self.overall(version.pk, stage_id))
                for stage_id, _, _ in self.stages()
            )
            classes[limits].append(version.pk)
        if len(classes) == 1:
            return Value(self.versions[0].pk)
        return Case(
            *(When(**{f"{field}__in": pks}, then=Value(pks[0])) for pks in classes.values()),
            default=F(field),
        )


def report_scope(*, partnership: Partnership | None, procedure_id: str) -> Scope | None:
    """The versions of a procedure loaded in a partnership (or anywhere, for ``None``)."""
    versions = ProcedureVersion.objects.filter(procedure_id=procedure_id)
    if partnership is not None:
        versions = versions.filter(partnership=partnership)
    found = tuple(versions.order_by("-is_current", "-loaded_at", "-pk"))
    if not found:
        return None
    procedures = {v.pk: procedure_of(v) for v in found}
    current = procedures[found[0].pk]
    calendar = calendar_of(partnership, current) if partnership else planner.calendar_for(current)
    return Scope(partnership, procedure_id, found, procedures, current, calendar)


@dataclass(frozen=True)
class Spans:
    """Stages any case was at during a window, grouped by the day reached and left, as
    arrays: one element for each group, ``count`` spans in it."""

    stage_ids: list[str]  # ``stage`` indexes this
    klass: npt.NDArray[np.int64]  # the limit class (a version pk): Scope.limit_class
    stage: npt.NDArray[np.int64]
    entered: Days
    left: Days  # NaT: not left
    immediate: npt.NDArray[np.bool_]
    count: npt.NDArray[np.int64]
