"""The sides of a disagreement: a small module of its own, so that the procedure model
and the roles table can both name them."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """Whose move a step is, seen from the disagreement."""

    RAISING = "raising"  # the agency and professional who raised the disagreement
    OTHER = "other"  # the agency whose decision is disputed
    BOTH = "both"  # each side, at the same time, inside its own agency
    PARTNERSHIP = "partnership"  # chair, business manager, coordinator, panel
