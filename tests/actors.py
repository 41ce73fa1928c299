"""People for the pure tests of the core: who they are on a case, as the roles table sees them.

Tests of deadlines, reports and notifications need someone who may act at every stage
of a side, so that the case can be taken anywhere; the rules of who acts where have their
own matrix (tests/core/test_action_matrix.py).
"""

from __future__ import annotations

from parley.core.engine import Actor
from parley.core.procedure import Side
from parley.core.roletable import STANDARD_ROLES, Held

# Every rung of an agency's ladder, and the Channel panel member (held in an agency).
EVERY_RUNG = frozenset(r.id for r in STANDARD_ROLES.values() if r.held is not Held.PARTNERSHIP)


def raiser(person_id: str, *roles: str) -> Actor:
    """The person who raised it, holding every rung of the raising agency (and ``roles``)."""
    held = EVERY_RUNG | set(roles)
    return Actor(person_id, frozenset((Side.RAISING, r) for r in held), frozenset({Side.RAISING}))


def other_party(person_id: str, *roles: str) -> Actor:
    """The professional named in the other agency, holding every rung of it."""
    held = EVERY_RUNG | set(roles)
    return Actor(person_id, frozenset((Side.OTHER, r) for r in held), frozenset({Side.OTHER}))


def partnership(person_id: str, *roles: str) -> Actor:
    """Someone holding ``roles`` for the whole partnership."""
    return Actor(person_id, frozenset((Side.PARTNERSHIP, r) for r in roles))
