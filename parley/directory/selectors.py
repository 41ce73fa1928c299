"""Reading the directory: who holds a case now and next, and the directory page's list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Q

from parley.cases.models import Agency, Disagreement, Partnership, Person, RoleAssignment
from parley.cases.selectors import procedure_of
from parley.core.procedure import Stage
from parley.core.roles import PARTY_ROLE
from parley.dbprepared import Prepared


@dataclass(frozen=True)
class Holders:
    """Who holds a case at its current stage, and who would hold it at the next.

    ``next_*`` are None at the top of the ladder. A side's holders are the people holding
    one of the stage's roles for that side in that side's agency, or partnership-wide (a
    Channel chair, say); ``*_informed`` are the partnership-wide holders of the roles the
    stage keeps informed. A role limited to some procedures counts only for those.
    """

    now_stage: Stage
    now_raising: list[Person]
    now_other: list[Person]
    now_informed: list[Person]
    next_stage: Stage | None
    next_raising: list[Person] | None
    next_other: list[Person] | None
    next_informed: list[Person] | None
    now_partnership: list[Person] = field(default_factory=list)  # who acts for it now


def _people(
    assignments: Iterable[RoleAssignment],
    roles: Iterable[str],
    agency_id: int | None,
    party: Person | None = None,
) -> list[Person]:
    """The people holding ``roles`` in the agency (or partnership-wide). A side's
    practitioner is its party alone (parley.core.roles): the person who raised it, or the
    professional named in the other agency, not every practitioner of the agency."""
    wanted = set(roles)
    people: dict[int, Person] = {}
    if PARTY_ROLE in wanted and party is not None:
        people[party.pk] = party
    for a in assignments:
        if a.role == PARTY_ROLE and agency_id is not None:
            continue
        # A role held acting for another agency counts in that agency (acts_for).
        if a.role in wanted and a.counts_in_id in (agency_id, None):
            people.setdefault(a.person_id, a.person)
    return sorted(people.values(), key=lambda person: (person.name.casefold(), person.pk))


# Read on every case page: compiled to SQL once per process (parley.dbprepared).
_HOLDERS = Prepared(
    lambda agencies, partnership_id, roles: RoleAssignment.objects.filter(
        Q(agency_id__in=agencies) | Q(acts_for_id__in=agencies) | Q(agency__isnull=True),
        person__partnership_id=partnership_id,
        role__in=roles,
    ),
    related=("person",),
)


def holders(*, disagreement: Disagreement, answers: Mapping[str, str] | None = None) -> Holders:
    """Two queries at most: the case's procedure version (if not loaded) and the roles.
    ``answers``, the raiser's, choose the next rung where the stage's next depends on them."""
    procedure = procedure_of(disagreement.procedure)
    track = procedure.track(disagreement.track)
    now = track.stage(disagreement.stage)
    upcoming = track.next_stage(now, answers)
    stages = [now] if upcoming is None else [now, upcoming]
    roles = {role for stage in stages for role in stage.roles}
    raising, other = disagreement.raising_agency_id, disagreement.other_agency_id
    assignments = [
        a
        for a in _HOLDERS(
            agencies=[raising, other],
            partnership_id=disagreement.partnership_id,
            roles=sorted(roles),
        )
        if not a.procedure_ids or procedure.id in a.procedure_ids
    ]

    # The parties, from the roles already read where they hold one (no query), else read.
    by_id = {a.person_id: a.person for a in assignments}
    raiser = by_id.get(disagreement.raised_by_id) or disagreement.raised_by
    named = disagreement.other_professional_id
    professional = (by_id.get(named) or disagreement.other_professional) if named else None

    def side(stage: Stage) -> tuple[list[Person], list[Person], list[Person]]:
        return (
            _people(assignments, stage.raising_side, raising, raiser),
            _people(assignments, stage.other_side, other, professional),
            _people(assignments, stage.kept_informed, None),
        )

    now_raising, now_other, now_informed = side(now)
    partnership = _people(assignments, now.partnership_side, None)
    if upcoming is None:
        return Holders(
            now, now_raising, now_other, now_informed, None, None, None, None, partnership
        )
    return Holders(
        now, now_raising, now_other, now_informed, upcoming, *side(upcoming), partnership
    )


# --- the directory page -----------------------------------------------------------------


@dataclass
class Entry:
    """One person as the directory page lists them under one agency (or the partnership)."""

    person: Person
    roles: list[RoleAssignment] = field(default_factory=list)


@dataclass
class Section:
    agency: Agency | None  # None: roles held for the whole partnership
    entries: list[Entry] = field(default_factory=list)


def directory_sections(*, partnership: Partnership) -> list[Section]:
    """Partnership-wide roles first, then each agency, people by name. Three queries."""
    sections: dict[int | None, Section] = {None: Section(None)}
    for agency in partnership.agencies.order_by("name"):
        sections[agency.pk] = Section(agency)
    entries: dict[tuple[int | None, int], Entry] = {}
    assignments = (
        RoleAssignment.objects.filter(person__partnership=partnership)
        .select_related("person", "agency", "acts_for", "team_link__team")
        .order_by("person__name", "person_id", "pk")
    )
    for a in assignments:
        key = (a.agency_id, a.person_id)
        if key not in entries:
            entries[key] = Entry(a.person)
            sections.setdefault(a.agency_id, Section(a.agency)).entries.append(entries[key])
        entries[key].roles.append(a)
    without_roles = list(partnership.people.filter(roles__isnull=True).order_by("name"))
    if without_roles:
        sections[None].entries.extend(Entry(person) for person in without_roles)
    return [s for s in sections.values() if s.entries or s.agency is not None]
