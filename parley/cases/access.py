"""Who may see a disagreement: decided here and nowhere else, from the roles table.

Every page, download, export, search, report and API call asks :func:`can_view` or
scopes its query with :func:`disagreement_list_visible_to`; a test checks that the two
always agree. What each role sees is a column of the roles table in the pure core
(:mod:`parley.core.roles`); this module applies it to the people of the directory:

1. Never across partnerships.
2. The person who raised it, and the named professional in the other agency.
3. A role held in the raising or the other agency sees the case once it has reached the
   first stage at which the procedure names that role for that side (a line manager from
   TWSP's stage 2; a director only from stage 4). A practitioner sees only their own.
4. A role held partnership-wide sees every case of the procedures its sight covers
   (business manager, board and panel chairs: children's and adults'; Channel chair,
   coordinator and panel members: Channel procedures only), and otherwise the cases
   that have reached a stage that names it (Torbay Channel's Community Safety
   Partnership Board chair from stage 4; the TWSP Executive from stage 5).
5. A role limited to some procedures (``RoleAssignment.procedure_ids``) counts only for
   those. The administrator sees no case.
6. Beyond the two sides: an adviser (a designated doctor or nurse, held partnership-wide)
   sees the cases they were asked about, and no other; at a meeting of every agency
   involved, the roles the meeting names, held in an agency the case records as
   involved, see the case from that stage on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from parley.cases.models import Disagreement, Event, Person, ProcedureVersion, RoleAssignment
from parley.cases.selectors import procedure_of
from parley.core.procedure import Procedure
from parley.core.roles import PAGES, opens_page, sight_rules
from parley.dbprepared import Prepared


@dataclass(frozen=True)
class Rungs:
    """For one procedure version, its sight rules (parley.core.roles.sight_rules)."""

    raising: dict[str, int]
    other: dict[str, int]
    anywhere: dict[str, int]
    sight_of_all: frozenset[str]
    urgent: frozenset[str] = frozenset()
    # Who stands in for an other professional not in Parley, from which stage.
    unnamed_other: dict[str, int] = dataclass_field(default_factory=dict)
    # A meeting of every agency involved: its lowest stage number and the roles it names.
    meeting: int | None = None
    meeting_roles: frozenset[str] = frozenset()
    adviser_roles: frozenset[str] = frozenset()


@lru_cache(maxsize=512)
def _rungs(version_pk: int, sha256: str) -> Rungs:
    procedure = procedure_of(ProcedureVersion.objects.get(pk=version_pk))
    return rungs_of(procedure)


# The reads every case page makes, compiled to SQL once per process (parley.dbprepared).
_ROLES_OF_PERSON = Prepared(
    lambda person_id: RoleAssignment.objects.filter(person_id=person_id),
    related=("agency", "acts_for"),
)
_VERSIONS_OF_PARTNERSHIP = Prepared(
    lambda partnership_id: ProcedureVersion.objects.filter(partnership_id=partnership_id)
)
# References count within each partnership, so a case is found by its reference within
# the partnership of whoever asks.
_CASE_BY_REFERENCE = Prepared(
    lambda reference, partnership_id: Disagreement.objects.filter(
        reference=reference, partnership_id=partnership_id
    ),
    related=(
        "procedure",
        "partnership",
        "raising_agency",
        "other_agency",
        "raised_by",
        "other_professional",
    ),
    leave=("procedure__source_text",),
)


def rungs_of(procedure: Procedure) -> Rungs:
    rules = sight_rules(procedure)
    return Rungs(
        rules.raising,
        rules.other,
        rules.anywhere,
        rules.whole,
        rules.urgent,
        rules.unnamed_other,
        rules.meeting,
        rules.meeting_roles,
        frozenset(a.role for a in procedure.advisers),
    )


def rungs_for(version: ProcedureVersion) -> Rungs:
    return _rungs(version.pk, version.sha256)


def roles_of(person: Person) -> list[RoleAssignment]:
    """The person's roles, read once per request and kept on the person."""
    cached = getattr(person, "_parley_roles", None)
    if cached is None:
        cached = _ROLES_OF_PERSON(person_id=person.pk)
        person._parley_roles = cached  # type: ignore[attr-defined]
    return cached


def versions_of(person: Person) -> list[ProcedureVersion]:
    """Every version of the person's partnership's procedures (current or not: cases
    keep the version they began under), read once per request and kept on the person."""
    cached = getattr(person, "_parley_versions", None)
    if cached is None:
        cached = _VERSIONS_OF_PARTNERSHIP(partnership_id=person.partnership_id)
        person._parley_versions = cached  # type: ignore[attr-defined]
    return cached


def role_applies(assignment: RoleAssignment, procedure_id: str) -> bool:
    """A role limited to some procedures (``procedure_ids``) counts only for those."""
    return not assignment.procedure_ids or procedure_id in assignment.procedure_ids


def core_roles(
    assignments: Iterable[RoleAssignment], procedure_id: str
) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    """A person's roles as :func:`parley.core.roles.actor_of` takes them, for one
    procedure: ``(role, agency id or None)`` for the roles held in their own agency or
    partnership-wide, and ``(role, agency id)`` for those held acting for another agency
    (``RoleAssignment.acts_for``)."""
    own: list[tuple[str, str | None]] = []
    proxies: list[tuple[str, str]] = []
    for a in assignments:
        if not role_applies(a, procedure_id):
            continue
        if a.acts_for_id:
            proxies.append((a.role, str(a.acts_for_id)))
        else:
            own.append((a.role, str(a.agency_id) if a.agency_id else None))
    return own, proxies


# --- the predicate ----------------------------------------------------------------------


def is_party(person: Person, case: Disagreement) -> bool:
    return person.pk in (case.raised_by_id, case.other_professional_id)


def in_escalation_line(person: Person, case: Disagreement, rungs: Rungs) -> bool:
    for assignment in roles_of(person):
        # A role held acting for another agency counts in that agency (acts_for).
        counts_in = assignment.counts_in_id
        if counts_in is None or not role_applies(assignment, case.procedure.procedure_id):
            continue
        sides = ((case.raising_agency_id, rungs.raising), (case.other_agency_id, rungs.other))
        for agency_id, side in sides:
            lowest = side.get(assignment.role)
            if (
                counts_in == agency_id
                and lowest is not None
                and case.highest_stage_number >= lowest
            ):
                return True
        # Standing in for an other professional who is not in Parley (parley.core.roles).
        lowest = rungs.unnamed_other.get(assignment.role)
        if (
            case.other_professional_id is None
            and counts_in == case.other_agency_id
            and lowest is not None
            and case.highest_stage_number >= lowest
        ):
            return True
    return False


def has_partnership_sight(person: Person, case: Disagreement, rungs: Rungs) -> bool:
    for a in roles_of(person):
        if a.agency_id is not None or not role_applies(a, case.procedure.procedure_id):
            continue
        if a.role in rungs.sight_of_all:
            return True
        if a.role in rungs.urgent and case.route == Disagreement.Route.IMMEDIATE_RISK:
            return True
        lowest = rungs.anywhere.get(a.role)
        if lowest is not None and case.highest_stage_number >= lowest:
            return True
    return False


ADVICE_REQUESTED = "advice-requested"
AGENCY_INVOLVED = "agency-involved"


def advisers_asked(case: Disagreement) -> set[str]:
    """The adviser roles asked about this case (its record's "advice-requested")."""
    rows = Event.objects.filter(disagreement_id=case.pk, kind=ADVICE_REQUESTED)
    return {str(data.get("adviser", "")) for data in rows.values_list("data", flat=True)}


def agencies_involved(case: Disagreement) -> set[str]:
    """The agencies the case records as involved beyond its two sides, by id."""
    rows = Event.objects.filter(disagreement_id=case.pk, kind=AGENCY_INVOLVED)
    return {str(data.get("agency", "")) for data in rows.values_list("data", flat=True)}


def beyond_the_sides(person: Person, case: Disagreement, rungs: Rungs) -> bool:
    """Sight as an adviser asked about the case, or from an agency involved in its
    meeting (parley.core.roles.sees)."""
    mine = [a for a in roles_of(person) if role_applies(a, case.procedure.procedure_id)]
    partnership_roles = {a.role for a in mine if a.agency_id is None} & rungs.adviser_roles
    if partnership_roles and partnership_roles & advisers_asked(case):
        return True
    if rungs.meeting is None or case.highest_stage_number < rungs.meeting:
        return False
    in_agencies = {str(a.agency_id) for a in mine if a.role in rungs.meeting_roles and a.agency_id}
    return bool(in_agencies and in_agencies & agencies_involved(case))


def can_view(person: Person | None, case: Disagreement) -> bool:
    if person is None or person.partnership_id != case.partnership_id:
        return False
    if is_party(person, case):
        return True
    rungs = rungs_for(case.procedure)
    return (
        in_escalation_line(person, case, rungs)
        or has_partnership_sight(person, case, rungs)
        or beyond_the_sides(person, case, rungs)
    )


# --- the same rules as a query ----------------------------------------------------------


# In a Sight rung, the cases on the immediate-risk route of a version; and the cases of
# an agency whose professional is not in Parley, for those who stand in for them.
URGENT = "route"
UNNAMED = "unnamed"


# The form of a sight's query: versions seen whole or not, the kind of each rung, and how
# many adviser roles and agencies involved it holds (:meth:`Sight.shape`).
SightShape = tuple[bool, tuple[str, ...], int, int]


@dataclass(frozen=True)
class Sight:
    """What gives a person sight of cases beyond being a party to them, as plain data:
    the procedure versions they see whole, and the rungs they hold (version, which
    agency field or "" for a role held partnership-wide, agency, lowest stage).
    Its :meth:`shape` is what a prepared query keys on, its :meth:`values` what it sends."""

    whole: tuple[int, ...]
    rungs: tuple[tuple[int, str, int, int], ...]
    # Adviser roles held partnership-wide (version, role), and agencies whose roles a
    # meeting names (version, agency, lowest stage): sight beyond the two sides.
    advisers: tuple[tuple[int, str], ...] = ()
    involved: tuple[tuple[int, int, int], ...] = ()

    def q(self, person_id: int, prefix: str = "") -> Q:
        """The filter: :func:`can_view` as a query, for ``person_id``, over the cases at
        ``prefix`` (e.g. ``"disagreement__"`` from a deadline)."""
        return Sight.q_of(self.shape(), person_id, prefix, **self.values())

    def shape(self) -> SightShape:
        """What decides the form of :meth:`q`'s SQL: whether versions are seen whole, and
        the kind of each rung; not which versions, agencies or stages, which are
        :meth:`values`. People whose sight differs only in those share one statement
        (:class:`parley.dbprepared.Prepared`'s layout)."""
        fields = tuple(field for _, field, _, _ in self.rungs)
        return bool(self.whole), fields, len(self.advisers), len(self.involved)

    def values(self) -> dict[str, Any]:
        """The versions, agencies and stages of :meth:`q`, by name, as :meth:`q_of` takes
        them."""
        found: dict[str, Any] = {}
        if self.whole:
            found["sight_whole"] = list(self.whole)
        for n, (version_id, field, agency_id, lowest) in enumerate(self.rungs):
            found[f"sight_{n}_version"] = version_id
            if field != URGENT:
                found[f"sight_{n}_lowest"] = lowest
            if field and field != URGENT:
                found[f"sight_{n}_agency"] = agency_id
        for n, (version_id, role) in enumerate(self.advisers):
            found[f"adviser_{n}_version"], found[f"adviser_{n}_role"] = version_id, role
        for n, (version_id, agency_id, lowest) in enumerate(self.involved):
            found[f"involved_{n}_version"] = version_id
            found[f"involved_{n}_agency"] = str(agency_id)
            found[f"involved_{n}_lowest"] = lowest
        return found

    @staticmethod
    def q_of(shape: SightShape, person_id: int, prefix: str = "", **values: Any) -> Q:
        """:meth:`q` from a sight's :meth:`shape` and :meth:`values`."""
        allowed = Q(**{f"{prefix}raised_by_id": person_id}) | Q(
            **{f"{prefix}other_professional_id": person_id}
        )
        whole, fields, advisers, involved = shape
        if whole:
            allowed |= Q(**{f"{prefix}procedure_id__in": values["sight_whole"]})
        for n, field in enumerate(fields):
            where: dict[str, object] = {f"{prefix}procedure_id": values[f"sight_{n}_version"]}
            if field == URGENT:
                where[f"{prefix}route"] = Disagreement.Route.IMMEDIATE_RISK
            else:
                where[f"{prefix}highest_stage_number__gte"] = values[f"sight_{n}_lowest"]
            if field == UNNAMED:
                where[f"{prefix}other_agency_id"] = values[f"sight_{n}_agency"]
                where[f"{prefix}other_professional_id__isnull"] = True
            elif field and field != URGENT:
                where[f"{prefix}{field}_id"] = values[f"sight_{n}_agency"]
            allowed |= Q(**where)
        return allowed | Sight._beyond(advisers, involved, prefix, values)

    @staticmethod
    def _beyond(advisers: int, involved: int, prefix: str, values: dict[str, Any]) -> Q:
        """Advisers asked about a case; agencies involved in its meeting, from there."""
        allowed = Q(pk__in=[])
        for n in range(advisers):
            role = values[f"adviser_{n}_role"]
            asked = Event.objects.filter(kind=ADVICE_REQUESTED, data__adviser=role)
            allowed |= Q(
                **{f"{prefix}procedure_id": values[f"adviser_{n}_version"]},
                **{f"{prefix}pk__in": asked.values("disagreement_id")},
            )
        for n in range(involved):
            agency = values[f"involved_{n}_agency"]
            added = Event.objects.filter(kind=AGENCY_INVOLVED, data__agency=agency)
            allowed |= Q(
                **{f"{prefix}procedure_id": values[f"involved_{n}_version"]},
                **{f"{prefix}highest_stage_number__gte": values[f"involved_{n}_lowest"]},
                **{f"{prefix}pk__in": added.values("disagreement_id")},
            )
        return allowed


def sight_of(person: Person, versions: Iterable[ProcedureVersion] | None = None) -> Sight:
    """What this person may see, over ``versions`` or every version of their
    partnership's procedures; the latter worked out once per request and kept on the
    person, as their roles and versions are."""
    if versions is not None:
        return _sight(person, versions)
    cached = getattr(person, "_parley_sight", None)
    if cached is None:
        cached = _sight(person, versions_of(person))
        person._parley_sight = cached  # type: ignore[attr-defined]
    return cached


def _sight(person: Person, versions: Iterable[ProcedureVersion]) -> Sight:
    whole: list[int] = []
    rungs: list[tuple[int, str, int, int]] = []
    advisers: list[tuple[int, str]] = []
    involved: list[tuple[int, int, int]] = []
    assignments = roles_of(person)
    for version in versions:
        found = rungs_for(version)
        for a in assignments:
            if not role_applies(a, version.procedure_id):
                continue
            if a.agency_id is None and a.role in found.adviser_roles:
                advisers.append((version.pk, a.role))
            elif found.meeting is not None and a.role in found.meeting_roles:
                involved.append((version.pk, a.agency_id, found.meeting))
            if a.agency_id is None:
                if a.role in found.sight_of_all:
                    whole.append(version.pk)
                    continue
                if (lowest := found.anywhere.get(a.role)) is not None:
                    rungs.append((version.pk, "", 0, lowest))
                if a.role in found.urgent:
                    rungs.append((version.pk, URGENT, 0, 0))
                continue
            for field, side in (
                ("raising_agency", found.raising),
                ("other_agency", found.other),
                (UNNAMED, found.unnamed_other),
            ):
                lowest = side.get(a.role)
                if lowest is not None:
                    # A role held acting for another agency counts in that agency.
                    rungs.append((version.pk, field, a.counts_in_id or 0, lowest))
    return Sight(
        tuple(sorted(set(whole))),
        tuple(sorted(set(rungs))),
        tuple(sorted(set(advisers))),
        tuple(sorted(set(involved))),
    )


def visibility_filter(person: Person, versions: Iterable[ProcedureVersion]) -> Q:
    """A filter equal to :func:`can_view` over the partnership's cases."""
    return sight_of(person, versions).q(person.pk)


def disagreement_list_visible_to(*, person: Person | None) -> QuerySet[Disagreement]:
    if person is None:
        return Disagreement.objects.none()
    versions = versions_of(person)
    return Disagreement.objects.filter(partnership_id=person.partnership_id).filter(
        visibility_filter(person, versions)
    )


def has_page(person: Person | None, page: str) -> bool:
    """May this person open one of the partnership's pages (a column of the roles table:
    ``reports``, ``register``, ``directory``, ``audit``, ``notifications``, ``settings``)?
    Those pages are for roles held partnership-wide. The menu asks this too."""
    if person is None or page not in PAGES:
        return False
    return any(a.agency_id is None and opens_page(a.role, page) for a in roles_of(person))


def is_reference_like(reference: str) -> bool:
    """Could this be a case reference (``TWSP-000001``)? Letters, digits and hyphens."""
    return 0 < len(reference) <= 40 and reference.isascii() and reference.replace("-", "").isalnum()


def person_of_user(user: object) -> Person | None:
    """The person a signed-in account is, or None (signed out, or an account with no place
    in a partnership, such as a bare superuser)."""
    try:
        person = user.person  # type: ignore[attr-defined]
    except (ObjectDoesNotExist, AttributeError):
        return None
    return person if isinstance(person, Person) else None


def person_of(request: HttpRequest) -> Person | None:
    """The person signed in to this request, or None."""
    return person_of_user(getattr(request, "user", None))


def disagreement_get_visible(*, person: Person | None, reference: str) -> Disagreement | None:
    """The case if this person may see it; None whether it is hidden or does not exist."""
    if person is None or not is_reference_like(reference):
        # Nothing odd reaches the database (PostgreSQL refuses a NUL byte in text).
        return None
    found = _CASE_BY_REFERENCE(reference=reference, partnership_id=person.partnership_id)
    case = found[0] if found else None
    if case is None or not can_view(person, case):
        return None
    return case
