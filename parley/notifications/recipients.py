"""From a notice's description of its recipients ("the other agency's line managers") to
people, and only people allowed to see the case.

The directory is loaded once per change or sweep, in two queries (role assignments with
their people, and those people's roles for the access check), so resolving many notices
adds no queries. Access is decided by :func:`parley.cases.access.can_view` and nothing
else: a person who may not see a case is never told of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from parley.cases.access import agencies_involved, can_view
from parley.cases.models import Disagreement, Person, RoleAssignment
from parley.core.notify import Audience, Recipient
from parley.core.procedure import Side
from parley.core.roles import PARTY_ROLE


@dataclass
class Resolved:
    people: list[Person] = field(default_factory=list)
    withheld: list[Person] = field(default_factory=list)  # hold the role, cannot see the case


class Directory:
    """Who holds which role in one partnership, for the roles and agencies asked about."""

    def __init__(
        self,
        *,
        partnership_id: int,
        roles: Iterable[str] | None = None,
        agency_ids: Iterable[int] | None = None,
    ) -> None:
        assignments = RoleAssignment.objects.filter(person__partnership_id=partnership_id)
        if roles is not None:
            assignments = assignments.filter(role__in=sorted(set(roles)))
        if agency_ids is not None:
            wanted = sorted(set(agency_ids))
            # A role held acting for another agency is that agency's (acts_for).
            assignments = assignments.filter(
                Q(agency_id__in=wanted) | Q(acts_for_id__in=wanted) | Q(agency__isnull=True)
            )
        assignments = assignments.select_related("person").prefetch_related(
            Prefetch("person__roles", queryset=RoleAssignment.objects.all())
        )
        self._people: dict[int, Person] = {}
        self._holders: dict[tuple[str, int | None], list[tuple[list[str], int]]] = defaultdict(list)
        for assignment in assignments:
            person = self._people.setdefault(assignment.person_id, assignment.person)
            self._holders[(assignment.role, assignment.counts_in_id)].append(
                (list(assignment.procedure_ids or []), person.pk)
            )

    def person(self, pk: int | None) -> Person | None:
        """Someone by id: from the people already read, or read once and kept."""
        if pk is None:
            return None
        if pk not in self._people:
            found = Person.objects.filter(pk=pk).prefetch_related("roles").first()
            if found is None:
                return None
            self._people[pk] = found
        return self._people[pk]

    def resolve(
        self,
        recipient: Recipient,
        case: Disagreement,
        *,
        raiser: Person | None = None,
        other_party: Person | None = None,
    ) -> Resolved:
        found: dict[int, Person] = {}
        raiser = raiser or self.person(case.raised_by_id)
        other_party = other_party or self.person(case.other_professional_id)
        if recipient.audience is Audience.RAISER:
            if raiser is not None:
                found[raiser.pk] = raiser
        elif recipient.audience is Audience.OTHER_PARTY:
            if other_party is not None:
                found[other_party.pk] = other_party
        elif recipient.audience is Audience.INVOLVED:
            involved = [int(a) for a in agencies_involved(case) if a.isdigit()]
            for role in recipient.roles:
                for agency_id in involved:
                    for procedure_ids, person_pk in self._holders.get((role, agency_id), ()):
                        if not procedure_ids or case.procedure.procedure_id in procedure_ids:
                            found.setdefault(person_pk, self._people[person_pk])
        else:
            for group in recipient.groups:
                for role in group.roles:
                    if role == PARTY_ROLE and group.side is not Side.PARTNERSHIP:
                        # A side's practitioner is its party (parley.core.roles): the person
                        # who raised it, or the professional named in the other agency, and
                        # not every practitioner of that agency.
                        parties = _parties(group.side, raiser, other_party)
                        for person in parties:
                            found.setdefault(person.pk, person)
                        if not parties:
                            # The party is not in Parley (named only in words): their
                            # agency's next rung is told instead (parley.core.roles).
                            self._add_holders(found, group.stand_in, group.side, case)
                        continue
                    self._add_holders(found, (role,), group.side, case)
        resolved = Resolved()
        for person in found.values():
            (resolved.people if can_view(person, case) else resolved.withheld).append(person)
        return resolved

    def _add_holders(
        self, found: dict[int, Person], roles: Iterable[str], side: Side, case: Disagreement
    ) -> None:
        procedure_id = case.procedure.procedure_id
        for role in roles:
            for agency_id in _agencies(side, case):
                for procedure_ids, person_pk in self._holders.get((role, agency_id), ()):
                    if not procedure_ids or procedure_id in procedure_ids:
                        found.setdefault(person_pk, self._people[person_pk])


def _parties(side: Side, raiser: Person | None, other_party: Person | None) -> list[Person]:
    wanted = {
        Side.RAISING: [raiser],
        Side.OTHER: [other_party],
        Side.BOTH: [raiser, other_party],
    }.get(side, [])
    return [person for person in wanted if person is not None]


def _agencies(side: Side, case: Disagreement) -> tuple[int | None, ...]:
    # Partnership-wide holders count on every side: the Channel roles are held that way.
    if side is Side.RAISING:
        return (case.raising_agency_id, None)
    if side is Side.OTHER:
        return (case.other_agency_id, None)
    if side is Side.PARTNERSHIP:
        return (None,)
    return (case.raising_agency_id, case.other_agency_id, None)
