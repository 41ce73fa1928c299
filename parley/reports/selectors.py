"""Who may see a procedure's reports, and the reads the report pages share.

Reports are for the partnership-wide roles that run the procedure: business managers and
chairs for children's and adults' procedures, the Channel chair and coordinator for
Channel (Prevent) panels. As in :mod:`parley.cases.access`, a board's business manager
and chair do not see Prevent figures, and a role limited to some procedures
(``RoleAssignment.procedure_ids``) counts only for those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from parley.cases import access
from parley.cases.models import Event, Person, ProcedureVersion
from parley.cases.selectors import procedure_of
from parley.core.engine import EventKind
from parley.core.procedure import Procedure
from parley.core.roles import role_table
from parley.reports.models import LearningItem


def report_roles(procedure: Procedure) -> frozenset[str]:
    """The roles the roles table gives a procedure's reports, among those that see its
    every case (parley.core.roles): business managers and chairs for children's and
    adults' procedures, the Channel chair and coordinator for Channel ones."""
    table = role_table(procedure)
    return frozenset(r for r in access.rungs_of(procedure).sight_of_all if table[r].reports)


def can_report(person: Person | None, procedure: Procedure) -> bool:
    if person is None:
        return False
    wanted = report_roles(procedure)
    return any(
        a.agency_id is None and a.role in wanted and access.role_applies(a, procedure.id)
        for a in access.roles_of(person)
    )


def sees_cases(person: Person | None, procedure: Procedure) -> bool:
    """Whether this person has sight of every case of the procedure, so that a figure
    may link to the cases behind it; others see the figures only."""
    if person is None:
        return False
    sight = access.rungs_of(procedure).sight_of_all
    return any(
        a.agency_id is None and a.role in sight and access.role_applies(a, procedure.id)
        for a in access.roles_of(person)
    )


@dataclass(frozen=True)
class Reportable:
    procedure_id: str
    name: str
    procedure: Procedure


def reportable_procedures(person: Person | None) -> list[Reportable]:
    """The procedures of the person's partnership whose reports they may see, by name."""
    if person is None:
        return []
    versions = ProcedureVersion.objects.filter(
        partnership_id=person.partnership_id, is_current=True
    )
    found = []
    for version in versions:
        procedure = procedure_of(version)
        if can_report(person, procedure):
            found.append(Reportable(version.procedure_id, version.name, procedure))
    return sorted(found, key=lambda r: r.name)


def learning_items_for(person: Person | None) -> QuerySet[LearningItem]:
    """The learning log entries of the procedures this person reports on."""
    ids = [r.procedure_id for r in reportable_procedures(person)]
    if person is None or not ids:
        return LearningItem.objects.none()
    return LearningItem.objects.filter(
        partnership_id=person.partnership_id, procedure_id__in=ids
    ).select_related("disagreement")


def learning_overdue(*, person: Person | None, today: date) -> QuerySet[LearningItem]:
    """Follow-ups due before today and not yet done, oldest first."""
    return (
        learning_items_for(person)
        .filter(done_on__isnull=True, follow_up_due__lt=today)
        .order_by("follow_up_due", "pk")
    )


def learning_not_logged(person: Person | None) -> QuerySet[Event]:
    """Issues referred from cases that nobody has put in the learning log yet."""
    ids = [r.procedure_id for r in reportable_procedures(person)]
    if person is None or not ids:
        return Event.objects.none()
    return (
        Event.objects.filter(
            kind=EventKind.LEARNING_REFERRED.value,
            disagreement__partnership_id=person.partnership_id,
            disagreement__procedure__procedure_id__in=ids,
        )
        .filter(Q(learning_item__isnull=True))
        .select_related("disagreement")
        .order_by("at", "pk")
    )
