"""The audit trail's one door: every view, download, export, sign-in and change is recorded here.

Callers record *before* they show or send anything: ``audit_record`` raises if the
entry cannot be written, so an unaudited page is never shown::

    audit_record(action="case.view", request=request, disagreement=case)
    return render(request, ...)

Inside a transaction, record last: until the caller's transaction ends, every other
append waits for it (PostgreSQL holds the next sequence number for it).

The client address is ``REMOTE_ADDR``. Behind reverse proxies, set
``PARLEY_TRUSTED_PROXY_COUNT`` to how many there are, and the address is taken from
``X-Forwarded-For`` as the outermost of them saw it; the header is ignored otherwise,
since a client can write anything in it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from functools import cache
from itertools import chain, pairwise
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from parley.audit.chain import GENESIS, Link, clean_detail, clean_text, link_hash
from parley.audit.models import AuditCheckpoint, AuditEntry
from parley.cases.access import person_of_user
from parley.cases.hooks import Change, Imported, Published
from parley.cases.models import Disagreement, Person

logger = logging.getLogger(__name__)

ACTIONS = {
    "case.view": "Looked at a disagreement",
    "case.download": "Downloaded a document of a disagreement",
    "case.change": "Changed a disagreement",
    "case.raise": "Raised a disagreement",
    "case.import": "Brought in disagreements in bulk (generated history)",
    "case.refused": "Was refused access to a disagreement",
    "home.view": "Looked at their home page",
    "register.view": "Looked at the register",
    "register.export": "Exported the register",
    "report.view": "Looked at a report",
    "report.export": "Exported a report",
    "report.settings": "Changed the report settings",
    "calendar.change": "Added or removed a closure day",
    "notifications.view": "Looked at notifications",
    "signin": "Signed in",
    "signin.failed": "Failed to sign in",
    "signin.locked": "Was locked out",
    "signout": "Signed out",
    "role.change": "Changed a person's roles",
    "account.invite": "Invited someone to set up their account",
    "account.reset": "Sent a link to choose a new password",
    "account.password": "Set or changed a password",
    "account.deactivate": "Deactivated an account",
    "account.reactivate": "Reactivated an account",
    "directory.view": "Looked at the directory",
    "directory.import": "Imported the directory",
    "directory.export": "Exported the directory",
    "directory.change": "Changed an agency or a person's details",
    "audit.view": "Looked at who has looked at a disagreement",
    "audit.list": "Looked at the audit trail",
    "audit.export": "Exported the audit trail",
    "retention.purge": "Removed data past its retention period",
    "subject-access.export": "Exported everything held about a person",
    "procedure.publish": "Published a new version of a procedure",
    "procedure.move": "Moved open disagreements onto a new version of a procedure",
}


# The columns a hash commits to, in ``Link``'s order, then the stored hash.
LINK_COLUMNS = (
    "sequence",
    "at",
    "action",
    "person_id",
    "username",
    "partnership_id",
    "disagreement_id",
    "reference",
    "ip_address",
    "user_agent",
    "path",
    "method",
    "detail",
    "previous_hash",
)


# --- recording --------------------------------------------------------------------------


def filter_names(query: Mapping[str, Any], known: Iterable[str]) -> list[str]:
    """The names of the ``known`` filters given a value in ``query``, sorted: what a list
    records in ``detail``. Never the values, which can be a name typed into a search,
    and never a name the list does not know, which could be one too."""
    return sorted(name for name in set(known) if query.get(name))


@dataclass(frozen=True)
class _Facts:
    action: str
    person: Person | None
    username: str
    partnership_id: int | None
    disagreement: Disagreement | None
    reference: str
    ip_address: str
    user_agent: str
    path: str
    method: str
    detail: dict[str, Any]


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    person: Person | None = None,
    disagreement: Disagreement | None = None,
    detail: Mapping[str, Any] | None = None,
    partnership_id: int | None = None,
) -> None:
    """Record who did what, when, from where. ``action`` is one of ``ACTIONS``.

    ``partnership_id`` names the partnership whose administrators read the entry when
    neither a person nor a case says (an import by a command).

    ``person`` defaults to the signed-in person of ``request``. For a failed sign-in pass
    the username as typed in ``detail={"username": ...}``: it is kept in its own column.
    Odd input is recorded as well as it can be and never raises; a failure to write
    the entry does raise.
    """
    try:
        facts = _facts(
            action=action, request=request, person=person, disagreement=disagreement, detail=detail
        )
        if facts.partnership_id is None and partnership_id is not None:
            facts = dataclasses.replace(facts, partnership_id=partnership_id)
    except Exception:
        # Whatever went wrong reading the request, the entry is still written.
        logger.exception("audit: the facts of a %r entry could not all be read", action)
        known = person if isinstance(person, Person) and person.pk else None
        facts = _Facts(
            action=clean_text(action, 40),
            person=known,
            username="",
            partnership_id=known.partnership_id if known else None,
            disagreement=None,
            reference="",
            ip_address="",
            user_agent="",
            path="",
            method="",
            detail={"problem": "the request could not be read"},
        )
    _append(facts)


def case_changed(change: Change) -> None:
    """The audit entry of one change to a case: an after-change hook
    (:mod:`parley.cases.hooks`), run last inside the change's transaction, so a change is
    never stored without its entry, nor an entry without its change."""
    detail: dict[str, Any] = {"action": change.action, "via": change.via}
    if change.new:
        detail["record"] = [change.new[0].sequence, change.new[-1].sequence]
    detail.update(change.detail)
    audit_record(
        action="case.raise" if change.action == "raise" else "case.change",
        request=change.request,
        person=change.person,
        disagreement=change.disagreement,
        detail=detail,
    )


def cases_imported(imported: Imported) -> None:
    """One audit entry for disagreements brought in at once (generated history): an import
    hook, in the import's transaction, naming how many, under which procedure and the
    references they were given."""
    cases = imported.cases
    audit_record(
        action="case.import",
        partnership_id=imported.version.partnership_id,
        detail={
            "via": imported.via,
            "procedure": imported.procedure.key,
            "count": len(cases),
            "references": [cases[0].reference, cases[-1].reference] if cases else [],
        },
    )


def procedure_published(published: Published) -> None:
    """The audit entry of a published version, or of open cases moved onto one: a publish
    hook, in the publishing's transaction."""
    version = published.version
    detail: dict[str, Any] = {
        "via": published.via,
        "procedure": published.procedure.key,
        "sha256": version.sha256,
        **published.detail,
    }
    if published.previous is not None:
        detail["previous"] = f"{published.previous.procedure_id}@{published.previous.version}"
    audit_record(
        action=f"procedure.{published.action}",
        request=published.request,
        person=published.person,
        partnership_id=version.partnership_id,
        detail=detail,
    )


def _facts(
    *,
    action: object,
    request: HttpRequest | None,
    person: object,
    disagreement: object,
    detail: object,
) -> _Facts:
    action_text = clean_text(action, 40)
    if action_text not in ACTIONS:
        logger.warning("audit action %r is not one of ACTIONS; recorded as given", action_text)

    details = _detail_dict(detail)
    typed = details.pop("username", None)

    user = getattr(request, "user", None) if request is not None else None
    signed_in = bool(getattr(user, "is_authenticated", False))
    if not isinstance(person, Person) or person.pk is None:
        person = person_of_user(user) if signed_in else None

    case = disagreement if isinstance(disagreement, Disagreement) else None
    reference = clean_text(case.reference, 40) if case is not None else ""
    if case is not None and case.pk is None:
        case = None

    if typed is not None:
        username = clean_text(typed, 150)
    elif signed_in:
        username = clean_text(user.get_username(), 150)  # type: ignore[union-attr]
    elif person is not None and person.user_id is not None:
        username = clean_text(person.user.get_username(), 150)  # type: ignore[union-attr]
    else:
        username = ""

    if case is not None:
        partnership_id = case.partnership_id
    elif person is not None:
        partnership_id = person.partnership_id
    else:
        partnership_id = _partnership_of_account(username) if typed is not None else None

    meta: Mapping[str, Any] = getattr(request, "META", None) or {}
    return _Facts(
        action=action_text,
        person=person,
        username=username,
        partnership_id=partnership_id,
        disagreement=case,
        reference=reference,
        ip_address=client_ip(meta),
        user_agent=clean_text(meta.get("HTTP_USER_AGENT", ""), 300),
        # The path only: a query string can carry names typed into a search.
        path=clean_text(getattr(request, "path", ""), 500),
        method=clean_text(getattr(request, "method", "") or "", 10),
        detail=details,
    )


def _partnership_of_account(typed: str) -> int | None:
    """The partnership of the account a failed sign-in typed, so its administrators see it.

    Not the person: whoever typed it may not be them.
    """
    text = typed.strip()
    if not text:
        return None
    found = set(
        Person.objects.filter(
            Q(user__username__iexact=text) | Q(user__email__iexact=text)
        ).values_list("partnership_id", flat=True)[:2]
    )
    return found.pop() if len(found) == 1 else None


def _detail_dict(detail: object) -> dict[str, Any]:
    if detail is None:
        return {}
    cleaned = clean_detail(detail)
    return cleaned if isinstance(cleaned, dict) else {"value": cleaned}


def _valid_ip(text: object) -> str:
    try:
        return str(ipaddress.ip_address(str(text).strip()))
    except ValueError:
        return ""


def client_ip(meta: Mapping[str, Any]) -> str:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For behind trusted proxies."""
    proxies = getattr(settings, "PARLEY_TRUSTED_PROXY_COUNT", 0) or 0
    if isinstance(proxies, int) and proxies > 0:
        forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        forwarded = [part for part in forwarded if part]
        # Each proxy appends the address it was called from. Of the last ``proxies``
        # addresses ours wrote them, and the first of those is the client as the
        # outermost proxy saw it; anything further left the client wrote itself.
        if len(forwarded) >= proxies and (address := _valid_ip(forwarded[-proxies])):
            return address
    return _valid_ip(meta.get("REMOTE_ADDR", ""))


def _append(facts: _Facts) -> AuditEntry:
    """Chain and store one entry after the head of the trail.

    On SQLite the transaction begins with BEGIN IMMEDIATE (parley.dburl), which holds the
    database's single write lock while the head is read and the entry inserted after it.

    On PostgreSQL no lock is taken: the head is read, the entry hashed onto it and
    inserted as the next sequence. ``sequence`` is unique, so if another append got
    there first the insert is refused (waiting, if that append is not yet committed, to
    see whether it will be) and this one reads the new head and tries again. The chain
    cannot fork, and an append costs two statements rather than a transaction of four
    round trips; every page makes one (docs/performance.md).
    """
    if connection.vendor != "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            return _insert_after_head(facts, cursor)
    for _ in range(APPEND_TRIES):
        try:
            # Inside the caller's transaction a refused insert must not end it: a
            # savepoint around it. Outside one, each statement commits on its own.
            with (
                transaction.atomic() if connection.in_atomic_block else nullcontext(),
                connection.cursor() as cursor,
            ):
                return _insert_after_head(facts, cursor)
        except IntegrityError as refused:
            diagnosis = getattr(refused.__cause__, "diag", None)
            if "sequence" not in str(getattr(diagnosis, "constraint_name", None) or refused):
                raise
            continue  # another append took that sequence: read the new head
    raise DatabaseError(f"the audit trail is too busy: {APPEND_TRIES} tries to append failed")


# Appends racing for the head each lose at most once per rival: enough for a busy trail.
APPEND_TRIES = 100


def _insert_after_head(facts: _Facts, cursor: Any) -> AuditEntry:
    cursor.execute(_HEAD_SQL)
    head = cursor.fetchone()
    sequence, previous_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    entry = AuditEntry(
        sequence=sequence,
        at=timezone.now(),
        action=facts.action,
        person=facts.person,
        username=facts.username,
        partnership_id=facts.partnership_id,
        disagreement=facts.disagreement,
        reference=facts.reference,
        ip_address=facts.ip_address,
        user_agent=facts.user_agent,
        path=facts.path,
        method=facts.method,
        detail=facts.detail,
        previous_hash=previous_hash,
    )
    entry.hash = link_hash(entry.link())
    fields = _insert_fields()
    cursor.execute(
        _insert_sql(),
        [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields],
    )
    entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


_HEAD_SQL = f"SELECT sequence, hash FROM {AuditEntry._meta.db_table} ORDER BY sequence DESC LIMIT 1"


@cache
def _insert_fields() -> tuple[Any, ...]:
    return tuple(f for f in AuditEntry._meta.concrete_fields if not f.primary_key)


@cache
def _insert_sql() -> str:
    """INSERT of every column but the id, returning the id (SQLite 3.35+ and PostgreSQL)."""
    names = ", ".join(connection.ops.quote_name(f.column) for f in _insert_fields())
    marks = ", ".join(["%s"] * len(_insert_fields()))
    return (
        f"INSERT INTO {connection.ops.quote_name(AuditEntry._meta.db_table)} ({names}) "
        f"VALUES ({marks}) RETURNING {connection.ops.quote_name(AuditEntry._meta.pk.column)}"
    )


# --- verifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A head of the trail known from elsewhere: entry ``sequence`` had hash ``hash``."""

    sequence: int
    hash: str
    source: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None
    problem: str
    head_sequence: int = 0
    head_hash: str = GENESIS


@dataclass(frozen=True)
class _Row:
    link: Link
    hash: str


def _rows(chunk_size: int) -> Iterator[_Row]:
    rows = (
        AuditEntry.objects.order_by("sequence")
        .values_list(*LINK_COLUMNS, "hash")
        .iterator(chunk_size=chunk_size)
    )
    for values in rows:
        yield _Row(link=Link(*values[:-1]), hash=values[-1])


def _anchors(expect: Anchor | None) -> dict[int, list[Anchor]]:
    anchors: dict[int, list[Anchor]] = {}
    for sequence, hash_, at in AuditCheckpoint.objects.values_list("sequence", "hash", "at"):
        when = timezone.localtime(at).strftime("%d %B %Y at %H:%M")
        anchors.setdefault(sequence, []).append(
            Anchor(sequence, hash_, f"the checkpoint taken on {when}")
        )
    if expect is not None:
        anchors.setdefault(expect.sequence, []).append(expect)
    return anchors


def _entries(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first} to {last} are"


def audit_verify(*, expect: Anchor | None = None, chunk_size: int = 2000) -> VerifyResult:
    """Check the whole trail, oldest first, and name the first broken link.

    Streams the trail in chunks, so memory stays flat however long it is. Beyond the
    chain, every stored checkpoint and ``expect`` (a head the operator kept) must match
    the entry at its sequence, and the trail must reach it: that is how removing the
    newest entries, or rewriting the chain and its hashes, is found.
    """
    anchors = _anchors(expect)
    expected, previous, checked = 1, GENESIS, 0

    def broken(sequence: int, problem: str) -> VerifyResult:
        return VerifyResult(False, checked, sequence, problem, expected - 1, previous)

    rows = _rows(chunk_size)
    for row, following in pairwise(chain(rows, [None])):
        assert row is not None  # only the padding after the last row is None
        checked += 1
        sequence = row.link.sequence
        if sequence > expected:
            return broken(expected, f"{_entries(expected, sequence - 1)} missing")
        if sequence < expected:
            return broken(sequence, f"entry {sequence} appears more than once")
        if link_hash(row.link) != row.hash:
            if following is not None and row.link.previous_hash == following.hash:
                return broken(
                    sequence,
                    f"entries {sequence} and {sequence + 1} have been swapped: "
                    "each is in the other's place",
                )
            return broken(sequence, f"entry {sequence} has been changed since it was written")
        if row.link.previous_hash != previous:
            return broken(
                sequence,
                f"entry {sequence} does not follow entry {sequence - 1}: the link between them "
                "is broken, so an entry has been removed, added or moved",
            )
        for anchor in anchors.get(sequence, ()):
            if anchor.hash != row.hash:
                return broken(
                    sequence,
                    f"entry {sequence} does not match {anchor.source}: "
                    "the trail up to it has been rewritten",
                )
        previous = row.hash
        expected += 1

    head = expected - 1
    beyond = [a for seq, found in anchors.items() if seq > head for a in found]
    if beyond:
        furthest = max(beyond, key=lambda anchor: anchor.sequence)
        return broken(
            head + 1,
            f"{_entries(head + 1, furthest.sequence)} missing: the trail ends at entry {head} "
            f"but {furthest.source} recorded entry {furthest.sequence}",
        )
    return VerifyResult(True, checked, None, "", head, previous)


@transaction.atomic
def audit_checkpoint(*, result: VerifyResult) -> AuditCheckpoint | None:
    """Keep the head of a trail just verified intact; nothing to keep for an empty trail."""
    if not result.ok or result.head_sequence == 0:
        return None
    return AuditCheckpoint.objects.create(
        sequence=result.head_sequence,
        hash=result.head_hash,
        entries_checked=result.checked,
        at=timezone.now(),
    )


def anchor_parse(text: str) -> Anchor:
    """``SEQUENCE:HASH`` as printed by ``parley audit verify``; ValueError otherwise."""
    sequence_text, _, hash_text = text.strip().partition(":")
    hash_text = hash_text.strip().lower()
    if not sequence_text.strip().isdigit() or int(sequence_text) < 1:
        raise ValueError("the entry number must be a whole number from 1")
    if len(hash_text) != 64 or any(c not in "0123456789abcdef" for c in hash_text):
        raise ValueError("the hash must be 64 hexadecimal characters")
    return Anchor(int(sequence_text), hash_text, "the head you kept")
