"""The roles table: what each role Parley knows means, one row a role.

Plain data shared by the procedure's types (:mod:`parley.core.procedure`, whose files may
add roles with the same columns) and the rules that read it (:mod:`parley.core.roles`),
so that neither need import the other to name it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Sight(StrEnum):
    """Which disagreements a role gives sight of (always inside one partnership)."""

    OWN = "own"  # only those the person is a party to (raised it, or named in it)
    REACHED = "reached"  # its agency's, from the first stage at which the procedure names it
    PARTNERSHIP = "partnership"  # every one of the partnership's non-Channel procedures
    PANEL = "panel"  # every one of the partnership's Channel (Prevent) procedures, only
    NONE = "none"  # no disagreement at all (the administrator: the trail, not the cases)


class Held(StrEnum):
    """How the directory gives a role to a person."""

    AGENCY = "agency"  # in one agency (a rung of that agency's ladder)
    PARTNERSHIP = "partnership"  # for the whole partnership (a chair, a business manager)
    EITHER = "either"  # either way (a Channel panel member; a procedure's own role)


@dataclass(frozen=True)
class Role:
    """One row of the roles table."""

    id: str
    label: str
    sight: Sight
    held: Held = Held.AGENCY
    # False: the role only looks. A procedure may not name it on a side of a stage, and it
    # never takes an action, even on a case it can see.
    may_act: bool = True
    reports: bool = False  # the board reports and the learning log of procedures it sees
    register: bool = False  # the register of every case it may see, with its CSV
    directory: bool = False  # the directory pages: people, agencies, rungs, import
    accounts: bool = False  # a person's account: invite, reset a password, deactivate
    audit: bool = False  # the audit trail and "who has looked at this case"
    notifications: bool = False  # the operators' notification pages
    settings: bool = False  # the partnership's settings (the reports' small-number threshold)
    procedures: bool = False  # publishing the partnership's procedures, and their versions
    source: str = ""  # for a procedure's own role: where the document names it


# The roles Parley knows without a procedure declaring them. The reasons for each sight:
# a practitioner is a party to their own cases only; a rung of an agency's ladder sees its
# agency's cases once they reach the stage where the procedure gives that rung something
# to do; the business manager keeps "a record of all on-going disagreements" (Torbay
# children, Stage Three) and so sees the register, as the board and panel chairs do, but
# not Prevent cases, which are for the Channel panel alone; the administrator runs the
# service and reads the audit trail, never case content.
STANDARD_ROLES: Mapping[str, Role] = {
    role.id: role
    for role in (
        Role("practitioner", "Practitioner", Sight.OWN),
        Role("line-manager", "Line manager or supervisor", Sight.REACHED),
        Role("safeguarding-lead", "Designated or named safeguarding lead", Sight.REACHED),
        Role("senior-manager", "Senior manager", Sight.REACHED),
        Role("service-director", "Service director", Sight.REACHED),
        Role("corporate-director", "Corporate director", Sight.REACHED),
        Role("director", "Director or assistant director", Sight.REACHED),
        Role("board-representative", "Board or partnership representative", Sight.REACHED),
        Role(
            "business-manager",
            "Partnership or board business manager",
            Sight.PARTNERSHIP,
            Held.PARTNERSHIP,
            reports=True,
            register=True,
            directory=True,
            settings=True,
            procedures=True,
        ),
        Role(
            "board-chair",
            "Board or partnership chair",
            Sight.PARTNERSHIP,
            Held.PARTNERSHIP,
            reports=True,
            register=True,
        ),
        Role(
            "panel-chair",
            "Panel chair",
            Sight.PARTNERSHIP,
            Held.PARTNERSHIP,
            reports=True,
            register=True,
        ),
        Role(
            "channel-chair",
            "Channel panel chair",
            Sight.PANEL,
            Held.PARTNERSHIP,
            reports=True,
            register=True,
        ),
        Role(
            "channel-coordinator",
            "Channel coordinator",
            Sight.PANEL,
            Held.PARTNERSHIP,
            reports=True,
            register=True,
            settings=True,
        ),
        # Held in an agency, a panel member is that agency's Channel worker and sees its
        # agency's Channel cases from the stage that names it; held partnership-wide, the
        # member sits on the panel and sees the panel's cases.
        Role("channel-panel-member", "Channel panel member", Sight.PANEL, Held.EITHER),
        Role(
            "administrator",
            "Administrator",
            Sight.NONE,
            Held.PARTNERSHIP,
            may_act=False,
            directory=True,
            accounts=True,
            audit=True,
            notifications=True,
        ),
    )
}
