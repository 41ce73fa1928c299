"""The hash chain: what an audit entry's hash commits to, and how it is worked out.

Plain Python, no database: ``services`` stores entries and ``audit_verify`` recomputes
their hashes from the stored columns with :func:`link_hash`, so anything that changes a
column after writing changes the hash.

An entry's hash is SHA-256 over a canonical JSON object (keys sorted, no spaces, UTF-8,
times in UTC with microseconds) of every fact it records and the hash of the entry
before it. The first entry's ``previous_hash`` is :data:`GENESIS`. The exact form is
written out in docs/audit.md so the trail can be checked without Parley.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
MAX_DEPTH = 8


@dataclass(frozen=True)
class Link:
    """The facts of one entry that its hash commits to, as they are stored."""

    sequence: int
    at: datetime
    action: str
    person_id: int | None
    username: str
    partnership_id: int | None
    disagreement_id: int | None
    reference: str
    ip_address: str
    user_agent: str
    path: str
    method: str
    detail: Any
    previous_hash: str


def utc_text(at: datetime) -> str:
    """``2026-03-27T14:05:31.000000Z``: always with microseconds, always UTC."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical(link: Link) -> bytes:
    facts = {
        "sequence": link.sequence,
        "at": utc_text(link.at),
        "action": link.action,
        "person": link.person_id,
        "username": link.username,
        "partnership": link.partnership_id,
        "disagreement": link.disagreement_id,
        "reference": link.reference,
        "ip": link.ip_address,
        "user_agent": link.user_agent,
        "path": link.path,
        "method": link.method,
        "detail": link.detail,
        "previous_hash": link.previous_hash,
    }
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def link_hash(link: Link) -> str:
    return hashlib.sha256(canonical(link)).hexdigest()


# --- making facts storable exactly ------------------------------------------------------
# A hash is recomputed from what the database gives back, so every value must come back
# exactly as it was hashed. PostgreSQL refuses NUL characters in text and rewrites large
# floats in JSON (1e20 comes back as an integer), so text is cleaned and floats are kept
# as their text.


def clean_text(value: object, limit: int) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\x00", "")
    # A lone surrogate (from a badly encoded header) cannot be stored as UTF-8.
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:limit]


def clean_detail(value: object, depth: int = 0) -> Any:
    """``value`` as JSON that any database stores and returns unchanged."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return clean_text(value, 10_000)
    if depth >= MAX_DEPTH:
        return clean_text(value, 1_000)
    if isinstance(value, Mapping):
        return {clean_text(key, 200): clean_detail(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [clean_detail(item, depth + 1) for item in items]
    return clean_text(value, 1_000)
