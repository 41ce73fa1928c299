"""What happens after every change to a case, inside the change's transaction.

The one door (:mod:`parley.cases.services`) writes a change's state and record, then runs
each hook registered here with a :class:`Change`, still inside its transaction: so what a
hook writes (the audit entry, the outbox rows, the report rows) commits with the change or
not at all. The rooms above ``cases`` register their hook when Django starts (their
``AppConfig.ready``); ``cases`` never imports them.

Hooks run in ``order``, lowest first. The audit trail's hook runs last: on PostgreSQL an
audit append holds the trail's next sequence number until the transaction ends, so the
shorter the time after it, the better (``parley.audit.services``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parley.core import engine
from parley.core.engine import CaseState
from parley.core.procedure import Procedure

if TYPE_CHECKING:
    from parley.cases.models import Disagreement, Event, Person, ProcedureVersion


@dataclass(frozen=True)
class Change:
    """One change to a case, as its hooks see it."""

    disagreement: Disagreement
    procedure: Procedure
    person: Person | None  # who made it (None: Parley itself, such as a calendar change)
    action: str  # "raise", or the kind of event the person took (engine.EventKind)
    before: CaseState | None  # None when the case was just raised
    after: CaseState
    record: Sequence[engine.Event]  # the whole record after the change, as the core reads it
    new: Sequence[Event]  # the record's rows this change appended
    # Where it came from: the request of a page or an API call, which the audit trail
    # reads the address from; None from a command, the demo or the generator.
    request: Any = None
    via: str = "command"  # "web", "api", "command", "demo", "generator", "system"
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Imported:
    """Many disagreements brought in at once through the one door (generated history)."""

    version: ProcedureVersion
    procedure: Procedure
    cases: Sequence[Disagreement]
    records: Sequence[Sequence[engine.Event]]
    copy: bool = False  # written with PostgreSQL's COPY: write what follows the same way
    via: str = "generator"


@dataclass(frozen=True)
class Published:
    """A new version of a partnership's procedure, or open cases moved onto it."""

    version: ProcedureVersion
    procedure: Procedure
    person: Person | None
    action: str  # "publish", or "move" (open cases moved onto the version)
    previous: ProcedureVersion | None = None  # the version that was in use
    request: Any = None
    via: str = "command"
    detail: dict[str, Any] = field(default_factory=dict)


Hook = Callable[[Change], None]
ImportHook = Callable[[Imported], None]
_IMPORT_HOOKS: list[tuple[int, str, ImportHook]] = []
_HOOKS: list[tuple[int, str, Hook]] = []


def after_change(name: str, hook: Hook, *, order: int = 50) -> None:
    """Register ``hook`` to run after every change. Registering a name again replaces it."""
    _HOOKS[:] = [entry for entry in _HOOKS if entry[1] != name]
    _HOOKS.append((order, name, hook))
    _HOOKS.sort(key=lambda entry: (entry[0], entry[1]))


def registered() -> list[str]:
    return [name for _, name, _ in _HOOKS]


def run(change: Change) -> None:
    for _, _, hook in list(_HOOKS):
        hook(change)


PublishHook = Callable[[Published], None]
_PUBLISH_HOOKS: list[tuple[int, str, PublishHook]] = []


def after_publish(name: str, hook: PublishHook, *, order: int = 50) -> None:
    """Register ``hook`` to run after a version is published, as :func:`after_change` does."""
    _PUBLISH_HOOKS[:] = [entry for entry in _PUBLISH_HOOKS if entry[1] != name]
    _PUBLISH_HOOKS.append((order, name, hook))
    _PUBLISH_HOOKS.sort(key=lambda entry: (entry[0], entry[1]))


def run_published(published: Published) -> None:
    for _, _, hook in list(_PUBLISH_HOOKS):
        hook(published)


def after_import(name: str, hook: ImportHook, *, order: int = 50) -> None:
    """Register ``hook`` to run after every bulk import, as :func:`after_change` does."""
    _IMPORT_HOOKS[:] = [entry for entry in _IMPORT_HOOKS if entry[1] != name]
    _IMPORT_HOOKS.append((order, name, hook))
    _IMPORT_HOOKS.sort(key=lambda entry: (entry[0], entry[1]))


def run_imported(imported: Imported) -> None:
    for _, _, hook in list(_IMPORT_HOOKS):
        hook(imported)


# --- work started in the background -----------------------------------------------------

# A room's task module registers how to start each of its tasks (the task's ``enqueue``)
# when Django starts, so the services that ask for one never import their tasks.
_BACKGROUND: dict[str, Callable[..., object]] = {}


def in_background(name: str, enqueue: Callable[..., object]) -> None:
    """Register how to start the background task ``name``: registering it again replaces it."""
    _BACKGROUND[name] = enqueue


def start(name: str, **arguments: Any) -> None:
    """Start the background task ``name`` with ``arguments`` (call it once the change has
    committed, from ``transaction.on_commit``, so the task finds what the change wrote)."""
    _BACKGROUND[name](**arguments)
