"""`parley audit verify` finds any entry changed, removed or moved behind Parley's back.

Each attack goes round the append-only triggers first, as someone with rights over the
database could.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from parley.audit.chain import link_hash
from parley.audit.models import AuditCheckpoint, AuditEntry
from parley.audit.services import (
    Anchor,
    anchor_parse,
    audit_checkpoint,
    audit_record,
    audit_verify,
)
from parley.cases.models import AppendOnlyError
from parley.cli import main
from tests.audit.helpers import sql, triggers_off

pytestmark = pytest.mark.django_db

COLUMNS = [
    "action",
    "at",
    "person_id",
    "username",
    "disagreement_id",
    "reference",
    "ip_address",
    "user_agent",
    "path",
    "method",
    "detail",
    "previous_hash",
    "hash",
]


def test_an_untouched_trail_is_intact(trail):
    result = audit_verify()
    assert (result.ok, result.checked, result.first_broken, result.problem) == (True, 5, None, "")
    assert result.head_sequence == 5
    assert result.head_hash == AuditEntry.objects.get(sequence=5).hash


def test_an_empty_trail_is_intact(db):
    assert audit_verify().ok


def test_the_trail_is_read_in_chunks(trail):
    assert audit_verify(chunk_size=2).checked == 5


def test_changing_any_column_of_an_entry_is_found_and_names_it(trail):
    found = {}
    for column in COLUMNS:
        # One column at a time, each undone before the next.
        with transaction.atomic():
            with triggers_off():
                # Entry 3 takes entry 2's value: real, of the right type, but not its own.
                sql(
                    f'UPDATE audit_auditentry SET "{column}" = '
                    f'(SELECT "{column}" FROM audit_auditentry WHERE sequence = 2) '
                    "WHERE sequence = 3"
                )
            result = audit_verify()
            found[column] = (result.ok, result.first_broken, result.problem)
            transaction.set_rollback(True)
    changed = (False, 3, "entry 3 has been changed since it was written")
    assert found == dict.fromkeys(COLUMNS, changed)
    assert audit_verify().ok


def test_moving_an_entry_to_another_partnership_is_found(trail):
    with triggers_off():
        sql("UPDATE audit_auditentry SET partnership_id = NULL WHERE sequence = 2")
    assert audit_verify().problem == "entry 2 has been changed since it was written"


def test_removing_an_entry_from_the_middle_is_found(trail):
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence = 3")
    result = audit_verify()
    assert (result.ok, result.first_broken) == (False, 3)
    assert result.problem == "entry 3 is missing"


def test_removing_several_entries_names_the_first(trail):
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence IN (2, 3)")
    assert audit_verify().problem == "entries 2 to 3 are missing"


def test_removing_the_first_entry_is_found(trail):
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence = 1")
    assert audit_verify().problem == "entry 1 is missing"


def test_renumbering_after_a_removal_is_found(trail):
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence = 3")
        sql("UPDATE audit_auditentry SET sequence = 3 WHERE sequence = 4")
        sql("UPDATE audit_auditentry SET sequence = 4 WHERE sequence = 5")
    result = audit_verify()
    assert (result.ok, result.first_broken) == (False, 3)


def test_swapping_two_entries_is_found(trail):
    with triggers_off():
        # In three steps: the unique sequence is checked row by row.
        sql("UPDATE audit_auditentry SET sequence = 99 WHERE sequence = 2")
        sql("UPDATE audit_auditentry SET sequence = 2 WHERE sequence = 3")
        sql("UPDATE audit_auditentry SET sequence = 3 WHERE sequence = 99")
    result = audit_verify()
    assert (result.ok, result.first_broken) == (False, 2)
    assert result.problem == "entries 2 and 3 have been swapped: each is in the other's place"


def test_moving_an_entry_to_the_end_is_found(trail):
    with triggers_off():
        sql("UPDATE audit_auditentry SET sequence = 6 WHERE sequence = 2")
    assert audit_verify().problem == "entry 2 is missing"


def test_an_entry_added_behind_parleys_back_is_found(trail):
    with triggers_off():
        sql(
            "INSERT INTO audit_auditentry (sequence, at, action, username, reference, "
            "ip_address, user_agent, path, method, detail, previous_hash, hash) "
            "SELECT 6, at, action, username, reference, ip_address, user_agent, path, method, "
            "detail, previous_hash, hash FROM audit_auditentry WHERE sequence = 5"
        )
    # A copy of entry 5 numbered 6: its hash is entry 5's, not its own.
    result = audit_verify()
    assert (result.ok, result.first_broken) == (False, 6)


# --- the newest entries, and a rewritten chain: checkpoints and the kept head -------------


def test_removing_the_newest_entry_is_found_against_the_last_checkpoint(trail):
    audit_checkpoint(result=audit_verify())
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence = 5")
    result = audit_verify()
    assert (result.ok, result.first_broken) == (False, 5)
    assert result.problem.startswith(
        "entry 5 is missing: the trail ends at entry 4 but the checkpoint taken on "
    )
    assert result.problem.endswith(" recorded entry 5")


def test_without_a_checkpoint_the_newest_entry_can_go_unnoticed(trail):
    """Why the operator runs verify daily and keeps the head it prints."""
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence = 5")
    assert audit_verify().ok


def test_entries_written_after_a_checkpoint_are_fine(trail):
    audit_checkpoint(result=audit_verify())
    audit_record(action="signout", person=trail.raised_by)
    assert audit_verify().ok


def test_a_chain_rewritten_with_fresh_hashes_is_found_against_the_checkpoint(trail):
    audit_checkpoint(result=audit_verify())
    _rewrite_from(2)
    result = audit_verify()
    assert (result.ok, result.first_broken) == (False, 5)
    assert "the checkpoint taken on" in result.problem
    assert result.problem.endswith("the trail up to it has been rewritten")


def test_removing_the_checkpoints_too_is_found_against_the_head_the_operator_kept(trail):
    kept = audit_verify()
    audit_checkpoint(result=kept)
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence = 5")
        sql("DELETE FROM audit_auditcheckpoint")
    assert audit_verify().ok
    result = audit_verify(expect=Anchor(kept.head_sequence, kept.head_hash, "the head you kept"))
    assert result.problem == (
        "entry 5 is missing: the trail ends at entry 4 but the head you kept recorded entry 5"
    )


def test_a_rewritten_chain_does_not_match_the_head_the_operator_kept(trail):
    kept = audit_verify()
    _rewrite_from(3)
    result = audit_verify(expect=anchor_parse(f"{kept.head_sequence}:{kept.head_hash}"))
    assert result.problem == (
        "entry 5 does not match the head you kept: the trail up to it has been rewritten"
    )


def _rewrite_from(sequence: int) -> None:
    """Change an entry and recompute every hash after it, as a careful forger would."""
    entries = list(AuditEntry.objects.filter(sequence__gte=sequence - 1).order_by("sequence"))
    previous = entries[0].hash
    with triggers_off():
        for entry in entries[1:]:
            entry.username = "someone.else" if entry.sequence == sequence else entry.username
            entry.previous_hash = previous
            entry.hash = link_hash(entry.link())
            sql(
                "UPDATE audit_auditentry SET username = %s, previous_hash = %s, hash = %s "
                "WHERE sequence = %s",
                [entry.username, entry.previous_hash, entry.hash, entry.sequence],
            )
            previous = entry.hash


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("5", "the hash must be 64 hexadecimal characters"),
        ("x:" + "a" * 64, "the entry number must be a whole number from 1"),
        ("0:" + "a" * 64, "the entry number must be a whole number from 1"),
        ("5:" + "g" * 64, "the hash must be 64 hexadecimal characters"),
    ],
)
def test_a_kept_head_must_be_an_entry_number_and_a_hash(text, problem):
    with pytest.raises(ValueError, match=problem):
        anchor_parse(text)


# --- append-only ------------------------------------------------------------------------


def test_the_trail_cannot_be_changed_or_deleted_through_django(trail):
    entry = AuditEntry.objects.get(sequence=2)
    entry.action = "case.download"
    for attempt in (
        entry.save,
        entry.delete,
        lambda: AuditEntry.objects.filter(sequence=2).update(action="x"),
        lambda: AuditEntry.objects.filter(sequence=2).delete(),
        lambda: AuditEntry.objects.bulk_update([entry], ["action"]),
        lambda: AuditEntry.objects.bulk_create([AuditEntry(sequence=9)]),
        lambda: AuditEntry._base_manager.filter(sequence=2).update(action="x"),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
    checkpoint = audit_checkpoint(result=audit_verify())
    with pytest.raises(AppendOnlyError):
        checkpoint.delete()
    with pytest.raises(AppendOnlyError):
        AuditCheckpoint.objects.all().delete()
    assert audit_verify().ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET action = 'case.download' WHERE sequence = 2",
        "DELETE FROM audit_auditentry WHERE sequence = 5",
        "UPDATE audit_auditcheckpoint SET sequence = 1",
        "DELETE FROM audit_auditcheckpoint",
    ],
)
def test_the_database_itself_refuses_to_change_the_trail(trail, statement):
    audit_checkpoint(result=audit_verify())
    refused = pytest.raises(DatabaseError, match="the audit trail cannot be changed or deleted")
    with refused, transaction.atomic():
        sql(statement)
    assert AuditEntry.objects.count() == 5
    assert AuditCheckpoint.objects.count() == 1
    assert audit_verify().ok


# --- the commands ---------------------------------------------------------------------


def test_parley_audit_verify_reports_an_intact_trail_and_keeps_a_checkpoint(trail, capsys):
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    head = AuditEntry.objects.get(sequence=5).hash
    assert "Audit trail intact: 5 entries checked" in out
    assert f"Head: 5:{head}" in out
    assert AuditCheckpoint.objects.get().hash == head


def test_parley_audit_verify_names_the_first_broken_link(trail, capsys):
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence = 2")
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "Audit trail broken: entry 2 is missing." in err
    assert "The first broken link is at entry 2" in err
    assert not AuditCheckpoint.objects.exists()


def test_parley_audit_verify_checks_against_a_kept_head(trail, capsys):
    head = AuditEntry.objects.get(sequence=4).hash
    assert main(["audit", "verify", "--no-checkpoint", "--expect", f"4:{head}"]) == 0
    assert not AuditCheckpoint.objects.exists()
    assert main(["audit", "verify", "--expect", f"4:{'0' * 64}"]) == 1
    assert "entry 4 does not match the head you kept" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["audit"], ["audit", "check"], ["audit", "verify", "--expect", "nonsense"]]
)
def test_parley_audit_usage_errors(db, argv, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err


def test_the_management_command_does_the_same(trail, capsys):
    call_command("audit_verify", "--no-checkpoint")
    assert "Audit trail intact: 5 entries checked" in capsys.readouterr().out
    with triggers_off():
        sql("DELETE FROM audit_auditentry WHERE sequence = 3")
    with pytest.raises(SystemExit) as exit_:
        call_command("audit_verify")
    assert exit_.value.code == 1
    assert "entry 3 is missing" in capsys.readouterr().err
