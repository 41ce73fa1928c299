"""Roles as data: who a role is, what it sees, where it acts, what it may only look at.

One table (:data:`STANDARD_ROLES`) says what each role Parley knows means; a procedure
file may add its own roles with the same columns (``roles:`` in the file; the procedure
format documents them). Where a role *acts* is not in the table: it is read from the
procedure, from the stages whose sides name it. Everything that asks "may this person
see this case", "may this person do this now" or "who holds this step now" reads this
module, through :mod:`parley.core.engine` and :func:`sight_rules`; nothing else keeps its
own list of roles.

The functions here are pure: they take the procedure and plain facts about a person and
a case, never the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parley.core.roletable import STANDARD_ROLES, Held, Role, Sight
from parley.core.sides import Side

if TYPE_CHECKING:
    from parley.core.procedure import Procedure, Stage, Track


# The role a party to a disagreement acts as on their own side, whatever their job: the
# person who raised it on the raising side, the professional named on the other.
PARTY_ROLE = "practitioner"

# The partnership's pages a role may open, by the table's column names.
PAGES = (
    "reports",
    "register",
    "directory",
    "accounts",
    "audit",
    "notifications",
    "settings",
    "procedures",
)

# The sight a procedure's own role has when its file does not say.
DEFAULT_OWN_SIGHT = Sight.REACHED


def opens_page(role_id: str, page: str) -> bool:
    """Whether a role, held partnership-wide, opens one of the partnership's pages: its
    column of the table. A procedure's own role held partnership-wide (the TWSP
    Executive) opens the register, where it sees the cases that reach its stages, and
    nothing else."""
    if page not in PAGES:
        return False
    standard = STANDARD_ROLES.get(role_id)
    if standard is None:
        return page == "register"
    return bool(getattr(standard, page))


def role_table(procedure: Procedure) -> dict[str, Role]:
    """Every role the procedure may name: the standard ones and its own."""
    return {**STANDARD_ROLES, **procedure.role_specs}


def role_of(procedure: Procedure, role_id: str) -> Role:
    """The table's row for a role; an unknown id (a directory typo) sees and does nothing."""
    found = procedure.role_specs.get(role_id) or STANDARD_ROLES.get(role_id)
    if found is None:
        return Role(role_id, role_id.replace("-", " "), Sight.NONE, Held.EITHER, may_act=False)
    return found


# --- who a person is on a case ----------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """A person as a case sees them: the roles they hold, and where.

    ``holds`` pairs a side with a role: ``(RAISING, "line-manager")`` for a role held in
    the raising agency, ``(OTHER, ...)`` in the other agency, ``(PARTNERSHIP, ...)`` for a
    role held partnership-wide. ``party`` says whether they are a party to it: RAISING for
    the person who raised it, OTHER for the professional named in the other agency. A
    party acts as their side's practitioner, whatever their job; so does whoever stands in
    for a party who is not in Parley (``stands_in``).
    """

    id: str
    holds: frozenset[tuple[Side, str]] = frozenset()
    party: frozenset[Side] = frozenset()
    # The sides whose party is not in Parley and for which this person stands in: they
    # act as that side's practitioner (:func:`stand_in_roles`).
    stands_in: frozenset[Side] = frozenset()
    # The sides this person holds roles for only by acting for that side's agency, from
    # another (the ICB's named GP lead acting for a GP practice), with the agency's id:
    # what they do for that side, the record says they do "acting for" it.
    proxy: frozenset[tuple[Side, str]] = frozenset()
    # The roles held in an agency the case records as involved, beyond the two sides
    # (a network meeting's agencies): they see the case once it reaches the meeting.
    involved: frozenset[str] = frozenset()
    # The roles held for each side, worked out once: the gate asks many times a case.
    _on: dict[Side, frozenset[str]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        on: dict[Side, set[str]] = {side: set() for side in Side}
        for side, role in self.holds:
            on[side].add(role)
        for side in self.party | self.stands_in:
            on[side].add(PARTY_ROLE)
        self._on.update({side: frozenset(roles) for side, roles in on.items()})

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for _, role in self.holds)

    def holds_on(self, side: Side) -> frozenset[str]:
        """The roles this person holds for one side: in its agency, and as its party."""
        return self._on[side]

    @property
    def partnership_roles(self) -> frozenset[str]:
        return self._on[Side.PARTNERSHIP]


def holding(side: Side, roles: Iterable[str]) -> frozenset[tuple[Side, str]]:
    """Roles held for one side, as :attr:`Actor.holds` takes them."""
    return frozenset((side, role) for role in roles)


def actor_of(
    *,
    person_id: str,
    assignments: Iterable[tuple[str, str | None]],
    raising_agency: str,
    other_agency: str,
    raised_by: str,
    other_professional: str = "",
    stand_in_for_other: Iterable[str] = (),
    proxies: Iterable[tuple[str, str]] = (),
    involved_agencies: Iterable[str] = (),
) -> Actor:
    """Who a person is on a case, from their roles as ``(role, agency id or None)``.
    ``stand_in_for_other``: the roles that stand in for the other professional when they
    are not in Parley (:func:`stand_ins`); asked only when ``other_professional`` is empty.
    ``proxies``: roles held acting for an agency with no escalation officer of its own, as
    ``(role, id of the agency acted for)``; each counts in that agency as if held there."""
    holds: set[tuple[Side, str]] = set()
    assignments = list(assignments)
    involved_in = set(involved_agencies) - {raising_agency, other_agency}
    involved = {role for role, agency in assignments if agency in involved_in}
    for role, agency in assignments:
        if agency is None:
            holds.add((Side.PARTNERSHIP, role))
            continue
        if agency == raising_agency:
            holds.add((Side.RAISING, role))
        if agency == other_agency:
            holds.add((Side.OTHER, role))
    own = {side for side, _ in holds}
    proxied = _proxy_holds(proxies, raising_agency, other_agency)
    holds |= {(side, role) for side, role, _ in proxied}
    party: set[Side] = set()
    if person_id == raised_by:
        party.add(Side.RAISING)
    if other_professional and person_id == other_professional:
        party.add(Side.OTHER)
    holds = one_agency_holds(holds, party, raising_agency == other_agency)
    standing = not other_professional and any(
        side is Side.OTHER and role in set(stand_in_for_other) for side, role in holds
    )
    return Actor(
        id=person_id,
        holds=frozenset(holds),
        party=frozenset(party),
        stands_in=frozenset({Side.OTHER}) if standing else frozenset(),
        proxy=frozenset(
            (side, agency)
            for side, role, agency in proxied
            if side not in own and (side, role) in holds
        ),
        involved=frozenset(involved),
    )


def _proxy_holds(
    proxies: Iterable[tuple[str, str]], raising_agency: str, other_agency: str
) -> set[tuple[Side, str, str]]:
    """Roles held acting for one of the case's agencies: ``(side, role, agency id)``."""
    found: set[tuple[Side, str, str]] = set()
    for role, agency in proxies:
        if agency == raising_agency:
            found.add((Side.RAISING, role, agency))
        if agency == other_agency:
            found.add((Side.OTHER, role, agency))
    return found


def acting_for_agencies(actor: Actor, sides: Iterable[Side]) -> list[str]:
    """The agencies this person acts for, by proxy, in acting for these sides: what the
    record says they did it "acting for" (empty for anyone acting in their own agency)."""
    wanted = set(sides)
    return sorted({agency for side, agency in actor.proxy if side in wanted})


def one_agency_holds(
    holds: set[tuple[Side, str]], party: set[Side], one_agency: bool
) -> set[tuple[Side, str]]:
    """Inside one agency (a single-agency procedure) a role held there is held for both
    sides, and the stage's sides, which name different roles, say which one it acts for.
    Parley's choice for someone on both sides, which the documents do not foresee: the
    person who raised it is on the raising side alone, and the professional named on the
    other side on the other side alone, so that nobody answers their own challenge, or
    judges the answer to a challenge made to them. Anyone else holding roles named on both
    sides acts for each side their roles are named on."""
    if not one_agency or party == {Side.RAISING, Side.OTHER}:
        return holds
    if Side.RAISING in party:
        return {(side, role) for side, role in holds if side is not Side.OTHER}
    if Side.OTHER in party:
        return {(side, role) for side, role in holds if side is not Side.RAISING}
    return holds


def single_agency_raisers(procedure: Procedure) -> frozenset[str]:
    """Who raises a challenge under a single-agency procedure: the roles its stages name on
    the raising side (the reviewing officer), not anyone who works in the agency."""
    return frozenset(
        role
        for track in procedure.tracks
        for stage in track.stages
        for role in stage.raising_side
        if role != PARTY_ROLE
    )


# --- where a role acts ------------------------------------------------------------------


def stage_side_roles(stage: Stage, side: Side) -> tuple[str, ...]:
    """The roles a stage names for one side (BOTH: either agency's)."""
    if side is Side.RAISING:
        return stage.raising_side
    if side is Side.OTHER:
        return stage.other_side
    if side is Side.PARTNERSHIP:
        return stage.partnership_side
    return tuple(dict.fromkeys((*stage.raising_side, *stage.other_side)))


def stand_in_roles(track: Track, stage: Stage, side: Side) -> tuple[str, ...]:
    """Who is told for a side's party when the party is not in Parley (the other
    professional named only in words): the roles above the party on that side, in that
    agency. Those the stage itself names beside the party, or else the first stage above
    that names anyone on the side. Parley's choice: the documents name the professional,
    not what happens when nobody can be told; their agency's next rung can find them."""
    if side not in (Side.RAISING, Side.OTHER):
        return ()
    stages = track.stages[track.stages.index(stage) :]
    for one in stages:
        roles = tuple(r for r in stage_side_roles(one, side) if r != PARTY_ROLE)
        if roles:
            return roles
    return ()


def acting_sides(procedure: Procedure, stage: Stage, actor: Actor) -> frozenset[Side]:
    """The sides this person acts for at this stage, as the procedure names them.

    For the raising or the other side: a role they hold in that agency (or as its party)
    that the stage names for that side; or a role held partnership-wide that the stage
    names for that side (Bedfordshire's Channel Chair raises and presses each alert). For
    the partnership: a partnership-wide role the stage names on its partnership side (the
    chair who decides, the panel that meets). A role that may only look never acts.
    """
    sides: set[Side] = set()
    wide = actor.partnership_roles
    for side, named in ((Side.RAISING, stage.raising_side), (Side.OTHER, stage.other_side)):
        held = actor.holds_on(side)
        if any((role in held or role in wide) and _may_act(procedure, role) for role in named):
            sides.add(side)
    if any(role in wide and _may_act(procedure, role) for role in stage.partnership_side):
        sides.add(Side.PARTNERSHIP)
    return frozenset(sides)


def _may_act(procedure: Procedure, role: str) -> bool:
    own = procedure.role_specs.get(role)
    if own is not None:
        return own.may_act
    standard = STANDARD_ROLES.get(role)
    return standard is not None and standard.may_act


def involved_sides(
    procedure: Procedure, track: Track, reached: Iterable[str], actor: Actor
) -> frozenset[Side]:
    """The sides this person has acted for, or acts for, at any stage the case has reached,
    or as a party: who may add to the record (a note, a file, a learning point)."""
    sides: set[Side] = set(actor.party)
    for stage_id in reached:
        sides |= acting_sides(procedure, track.stage(stage_id), actor)
    return frozenset(sides)


def partnership_side_roles(procedure: Procedure) -> frozenset[str]:
    """The roles a procedure names, at some stage, to act for the partnership."""
    return frozenset(
        role
        for track in procedure.tracks
        for stage in track.stages
        for role in stage.partnership_side
        if _may_act(procedure, role)
    )


@dataclass(frozen=True)
class Acts:
    """One place a role acts: a stage of a track, for a side."""

    track: str
    stage: str
    number: int
    side: Side


def where_role_acts(procedure: Procedure, role_id: str) -> list[Acts]:
    found = []
    for track in procedure.tracks:
        for stage in track.stages:
            for side in (Side.RAISING, Side.OTHER, Side.PARTNERSHIP):
                if role_id in stage_side_roles(stage, side):
                    found.append(Acts(track.id, stage.id, stage.number, side))
    return found


# --- sight ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SightRules:
    """For one procedure: which roles see every case, and from which stage the others see
    a case, as plain numbers for a database filter.

    ``raising``/``other``: for a role held in an agency, the lowest stage number at which
    the procedure names it for that side (its agency's cases from then on). ``anywhere``:
    for a role held partnership-wide that is named at a stage (on any side, or kept
    informed), the lowest such stage number: it sees every case from there on (Torbay
    Channel's Community Safety Partnership Board chair at stage 4). ``whole``: the
    partnership-wide roles that see every case of the procedure.
    """

    raising: dict[str, int] = field(default_factory=dict)
    other: dict[str, int] = field(default_factory=dict)
    anywhere: dict[str, int] = field(default_factory=dict)
    whole: frozenset[str] = frozenset()
    # Roles told when a case takes the immediate-risk route (TWSP's Family Connect, held
    # partnership-wide): they see the cases on that route, whatever their stage.
    urgent: frozenset[str] = frozenset()
    # Where the other professional is not in Parley (named only in words): the roles that
    # stand in for them in the other agency (:func:`stand_in_roles`), each with the lowest
    # stage number at which it does. They see the case from there.
    unnamed_other: dict[str, int] = field(default_factory=dict)
    # A network meeting (a stage's ``meeting``): the lowest stage number of one, and the
    # roles it names in the agencies: those roles in every agency involved see the case
    # from there.
    meeting: int | None = None
    meeting_roles: frozenset[str] = frozenset()


def meeting_rungs(procedure: Procedure) -> tuple[int | None, frozenset[str]]:
    """The lowest stage number of a network meeting, and the agency roles such stages
    name: whom each agency involved sends, and who in it sees the case from there."""
    lowest: int | None = None
    roles: set[str] = set()
    for track in procedure.tracks:
        for stage in track.stages:
            if stage.meeting is None:
                continue
            lowest = stage.number if lowest is None else min(lowest, stage.number)
            roles.update(
                role
                for role in (*stage.raising_side, *stage.other_side)
                if role != PARTY_ROLE and role_of(procedure, role).held is not Held.PARTNERSHIP
            )
    return lowest, frozenset(roles)


def stand_ins(procedure: Procedure) -> dict[str, int]:
    """The roles that stand in for an other professional not in Parley, each with the
    lowest stage number at which they do: wherever a stage names the other side's
    practitioner, the roles :func:`stand_in_roles` gives."""
    found: dict[str, int] = {}
    for track in procedure.tracks:
        for stage in track.stages:
            if PARTY_ROLE not in stage.other_side:
                continue
            for role in stand_in_roles(track, stage, Side.OTHER):
                if role_of(procedure, role).held is not Held.PARTNERSHIP:
                    found[role] = min(found.get(role, stage.number), stage.number)
    return found


def sight_rules(procedure: Procedure) -> SightRules:
    raising: dict[str, int] = {}
    other: dict[str, int] = {}
    anywhere: dict[str, int] = {}

    def lowest(table: dict[str, int], role: str, number: int) -> None:
        table[role] = min(table.get(role, number), number)

    def gives_sight(role: str) -> bool:
        return role_of(procedure, role).sight not in (Sight.OWN, Sight.NONE)

    for track in procedure.tracks:
        for stage in track.stages:
            for role in (*stage.raising_side, *stage.kept_informed):
                if gives_sight(role) and role_of(procedure, role).held is not Held.PARTNERSHIP:
                    lowest(raising, role, stage.number)
            for role in (*stage.other_side, *stage.kept_informed):
                if gives_sight(role) and role_of(procedure, role).held is not Held.PARTNERSHIP:
                    lowest(other, role, stage.number)
            for role in (*stage.roles, *stage.partnership_side):
                if gives_sight(role) and role_of(procedure, role).held is not Held.AGENCY:
                    lowest(anywhere, role, stage.number)
    table = role_table(procedure)
    wanted = Sight.PANEL if procedure.is_channel else Sight.PARTNERSHIP
    # Inside one agency, a case is the agency's own until a stage names someone for the
    # partnership: the partnership's roles see it from there (``anywhere``), not before.
    whole = frozenset(
        role.id
        for role in table.values()
        if role.sight is wanted and role.held is not Held.AGENCY and not procedure.single_agency
    )
    risk = procedure.immediate_risk
    urgent = frozenset(
        role
        for role in (risk.notify if risk else ())
        if gives_sight(role) and role_of(procedure, role).held is not Held.AGENCY
    )
    return SightRules(
        raising, other, anywhere, whole, urgent, stand_ins(procedure), *meeting_rungs(procedure)
    )


def sees(
    procedure: Procedure,
    actor: Actor,
    *,
    highest_stage_number: int,
    rules: SightRules | None,
    immediate_risk: bool = False,
    advisers_asked: Iterable[str] = (),
) -> bool:
    """May this person see this case? The database filter in ``parley.cases.access`` is
    this rule as a query; a test checks the two agree for everyone.

    ``advisers_asked``: the adviser roles asked about this case (an adviser sees the cases
    they were asked about, and no other)."""
    if actor.party:
        return True
    if actor.partnership_roles & set(advisers_asked):
        return True
    rules = rules or sight_rules(procedure)
    if (
        rules.meeting is not None
        and highest_stage_number >= rules.meeting
        and actor.involved & rules.meeting_roles
    ):
        return True
    for side, role in actor.holds:
        if side is Side.PARTNERSHIP:
            if role in rules.whole or (immediate_risk and role in rules.urgent):
                return True
            start = rules.anywhere.get(role)
        else:
            start = (rules.raising if side is Side.RAISING else rules.other).get(role)
        if start is not None and highest_stage_number >= start:
            return True
        if side is Side.OTHER and Side.OTHER in actor.stands_in:
            start = rules.unnamed_other.get(role)
            if start is not None and highest_stage_number >= start:
                return True
    return False


# --- the table, for people --------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    role: Role
    acts_at: tuple[Acts, ...]

    @property
    def only_looks(self) -> bool:
        return not self.role.may_act or not self.acts_at


def table_rows(procedure: Procedure) -> Iterator[TableRow]:
    """The roles table as it applies to one procedure: for the documentation, the
    procedure page and ``parley procedures show``."""
    for role in role_table(procedure).values():
        yield TableRow(role, tuple(where_role_acts(procedure, role.id)))


# --- who holds a step now ---------------------------------------------------------------


def holds_step(procedure: Procedure, stage: Stage, side: Side, actor: Actor) -> bool:
    """Is a step of this stage, for this side, this person's to take? (BOTH: either
    agency's.) The home page's "waiting on you", the case page and the notifications all
    ask this, and :func:`acting_sides` answers."""
    sides = acting_sides(procedure, stage, actor)
    if side is Side.BOTH:
        return bool(sides & {Side.RAISING, Side.OTHER})
    return side in sides


@dataclass(frozen=True)
class Holding:
    """Who holds a case at a stage for one side: the roles the stage names for it, and
    the steps that side still owes (none: it holds the decision to move the case on)."""

    side: Side
    roles: tuple[str, ...]
    steps: tuple[str, ...] = ()


def stage_holders(stage: Stage, done: Iterable[str] = ()) -> list[Holding]:
    """For each side a stage names, its roles and its open steps; the sides that owe a
    step first."""
    finished = set(done)
    found = []
    for side in (Side.RAISING, Side.OTHER, Side.PARTNERSHIP):
        roles = stage_side_roles(stage, side)
        if not roles:
            continue
        owed = tuple(
            step.id
            for step in stage.steps
            if step.id not in finished
            and (step.by is side or (step.by is Side.BOTH and side is not Side.PARTNERSHIP))
        )
        found.append(Holding(side, roles, owed))
    return sorted(found, key=lambda h: not h.steps)


def role_anywhere(role_id: str) -> Role:
    """The table's row for a role, outside any one procedure: a standard role's own row;
    a role some procedure declares is taken as its default (it acts, and sees the cases
    that reach the stages naming it)."""
    return STANDARD_ROLES.get(role_id) or Role(
        role_id, role_id.replace("-", " "), DEFAULT_OWN_SIGHT, Held.EITHER
    )
