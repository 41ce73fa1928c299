"""What a hash commits to, without a database."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from parley.audit.chain import GENESIS, Link, canonical, clean_detail, clean_text, link_hash

FIRST = Link(
    sequence=1,
    at=datetime(2026, 3, 27, 14, 5, 31, 0, tzinfo=UTC),
    action="case.view",
    person_id=7,
    username="nia.nurse",
    partnership_id=1,
    disagreement_id=3,
    reference="TWSP-000003",
    ip_address="192.0.2.10",
    user_agent="Mozilla/5.0",
    path="/cases/TWSP-000003/",
    method="GET",
    detail={"b": 1, "a": "é"},
    previous_hash=GENESIS,
)


def test_the_canonical_form_is_sorted_compact_utf8_json_with_utc_microseconds():
    assert (
        canonical(FIRST)
        == (
            '{"action":"case.view","at":"2026-03-27T14:05:31.000000Z","detail":{"a":"é","b":1},'
            '"disagreement":3,"ip":"192.0.2.10","method":"GET","partnership":1,"path":'
            '"/cases/TWSP-000003/","person":7,"previous_hash":"' + GENESIS + '","reference":'
            '"TWSP-000003","sequence":1,"user_agent":"Mozilla/5.0","username":"nia.nurse"}'
        ).encode()
    )
    assert link_hash(FIRST) == hashlib.sha256(canonical(FIRST)).hexdigest()


def test_the_same_moment_in_another_time_zone_hashes_the_same():
    london_summer = timezone(timedelta(hours=1))
    assert link_hash(replace(FIRST, at=FIRST.at.astimezone(london_summer))) == link_hash(FIRST)


@pytest.mark.parametrize(
    "change",
    [
        {"sequence": 2},
        {"at": FIRST.at + timedelta(microseconds=1)},
        {"action": "case.download"},
        {"person_id": None},
        {"username": "nia.nurse2"},
        {"partnership_id": 2},
        {"disagreement_id": None},
        {"reference": "TWSP-000004"},
        {"ip_address": "192.0.2.11"},
        {"user_agent": "Mozilla/5.1"},
        {"path": "/cases/"},
        {"method": "POST"},
        {"detail": {"b": 1, "a": "e"}},
        {"previous_hash": "1" * 64},
    ],
)
def test_every_fact_is_committed_to(change):
    assert link_hash(replace(FIRST, **change)) != link_hash(FIRST)


def test_detail_is_made_json_that_every_database_gives_back_unchanged():
    cleaned = clean_detail(
        {
            "big": 1e20,
            "ratio": 0.5,
            "nul": "a\x00b",
            "when": date(2026, 3, 27),
            "tags": {"b", "a"},
            "pair": (1, True),
            3: None,
        }
    )
    assert cleaned == {
        "big": "1e+20",
        "ratio": "0.5",
        "nul": "ab",
        "when": "2026-03-27",
        "tags": ["a", "b"],
        "pair": [1, True],
        "3": None,
    }


def test_text_loses_nul_characters_and_lone_surrogates_and_is_cut_to_length():
    assert clean_text("ab\x00c\udc80d", 10) == "abc?d"
    assert clean_text("x" * 20, 5) == "xxxxx"
    assert clean_text(None, 5) == ""


def test_deeply_nested_detail_is_kept_as_text():
    nested: object = "bottom"
    for _ in range(20):
        nested = [nested]
    cleaned = clean_detail(nested)
    for _ in range(8):
        cleaned = cleaned[0]
    assert isinstance(cleaned, str)
