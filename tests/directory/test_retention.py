"""Retention: what has passed its procedure's period is anonymised, once, and audited."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from parley.audit.models import AuditEntry
from parley.cases import services
from parley.cases.demo import person
from parley.cases.models import Deadline, Disagreement, Event, Partnership, ProcedureVersion
from parley.core.engine import EventKind
from parley.directory.models import RetentionPurge
from parley.directory.retention import REMOVED, retention_apply
from tests.directory.conftest import at, raise_twsp

NOW = at(2028, 3, 10, 9)  # TWSP keeps closed cases 7 years (twsp.yaml, retention_years)


def closed_case(partnership: Partnership, twsp: ProcedureVersion, closed: datetime) -> Disagreement:
    case = raise_twsp(
        partnership, twsp, closed.replace(day=closed.day - 1),
        subject_name="Child A", subject_nhs_number="943 476 5919",
        subject_client_reference="CS-1", evidence="Health visiting records.",
        outcome_sought="An assessment.",
    )  # fmt: skip
    services.disagreement_act(
        disagreement=case, person=person("sam.social"), kind=EventKind.RESPONSE_RECORDED,
        text="Child A's file reviewed.", at=closed.replace(hour=9),
    )  # fmt: skip
    services.disagreement_resolve(
        disagreement=case, person=person("nia.nurse"), outcome="Assessment agreed for Child A.",
        outstanding="None", at=closed.replace(hour=10),
    )  # fmt: skip
    services.disagreement_close(disagreement=case, person=person("nia.nurse"), at=closed)
    case.refresh_from_db()
    return case


@pytest.fixture
def eight_years_old(partnership: Partnership, twsp: ProcedureVersion) -> Disagreement:
    return closed_case(partnership, twsp, at(2020, 3, 3, 11))


@pytest.fixture
def six_years_old(partnership: Partnership, twsp: ProcedureVersion) -> Disagreement:
    return closed_case(partnership, twsp, at(2022, 3, 3, 11))


def test_a_case_closed_longer_ago_than_its_retention_period_is_anonymised(
    eight_years_old: Disagreement, six_years_old: Disagreement
):
    report = retention_apply(now=NOW, dry_run=False)
    assert [c.reference for c in report.cases] == [eight_years_old.reference]
    purged = Disagreement.objects.get(pk=eight_years_old.pk)
    assert (purged.subject_name, purged.subject_nhs_number, purged.subject_client_reference) == (
        "", "", "",
    )  # fmt: skip
    assert purged.subject_date_of_birth is None
    for field in ("summary", "evidence", "outcome_sought", "outcome", "outstanding"):
        assert getattr(purged, field) == REMOVED
    assert not Event.objects.filter(disagreement=purged).exists()
    assert not Deadline.objects.filter(disagreement=purged).exists()
    # Kept for the counts in past years' reports.
    assert (purged.status, purged.stage_number, purged.raising_agency_id) == (
        "closed", eight_years_old.stage_number, eight_years_old.raising_agency_id,
    )  # fmt: skip
    assert purged.closed_at == eight_years_old.closed_at

    kept = Disagreement.objects.get(pk=six_years_old.pk)
    assert kept.subject_name == "Child A" and kept.summary == six_years_old.summary
    assert Event.objects.filter(disagreement=kept).count() == 4


def test_the_purge_is_audited_with_the_reference_and_what_was_removed(
    eight_years_old: Disagreement,
):
    retention_apply(now=NOW, dry_run=False)
    entry = AuditEntry.objects.get(action="retention.purge")
    assert entry.disagreement_id == eight_years_old.pk
    assert entry.detail["reference"] == eight_years_old.reference
    assert entry.detail["events_deleted"] == 4
    assert "Child A" not in str(entry.detail)
    mark = RetentionPurge.objects.get(disagreement=eight_years_old)
    assert (mark.retention_years, mark.events_deleted) == (7, 4)


def test_a_dry_run_lists_the_cases_and_changes_nothing(eight_years_old: Disagreement):
    report = retention_apply(now=NOW, dry_run=True)
    assert [(c.reference, c.events) for c in report.cases] == [(eight_years_old.reference, 4)]
    assert Disagreement.objects.get(pk=eight_years_old.pk).subject_name == "Child A"
    assert Event.objects.filter(disagreement=eight_years_old).count() == 4
    assert not AuditEntry.objects.filter(action="retention.purge").exists()


def test_running_it_again_purges_nothing_more(eight_years_old: Disagreement):
    retention_apply(now=NOW, dry_run=False)
    again = retention_apply(now=NOW, dry_run=False)
    assert again.cases == [] and again.failures == []
    assert AuditEntry.objects.filter(action="retention.purge").count() == 1


def test_a_withdrawn_case_is_purged_and_an_open_one_never(
    partnership: Partnership, twsp: ProcedureVersion
):
    withdrawn = raise_twsp(partnership, twsp, at(2019, 6, 3, 10))
    services.disagreement_act(
        disagreement=withdrawn, person=person("nia.nurse"), kind=EventKind.WITHDRAWN,
        reason="Resolved informally.", at=at(2019, 6, 4, 10),
    )  # fmt: skip
    still_open = raise_twsp(partnership, twsp, at(2019, 6, 3, 11))
    report = retention_apply(now=NOW, dry_run=False)
    assert [c.reference for c in report.cases] == [withdrawn.reference]
    assert Event.objects.filter(disagreement=still_open).exists()


def test_the_record_refuses_deletes_outside_the_purge_permit(eight_years_old: Disagreement):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_event WHERE disagreement_id = %s", [eight_years_old.pk])
    assert Event.objects.filter(disagreement=eight_years_old).count() == 4


def test_evidence_files_and_their_stored_copies_go_with_the_case(
    eight_years_old: Disagreement, settings, tmp_path, django_capture_on_commit_callbacks
):
    from parley.web.models import EvidenceFile

    settings.PARLEY_EVIDENCE_DIR = str(tmp_path)
    stored = tmp_path / "token-1"
    stored.write_bytes(b"photographs")
    EvidenceFile.objects.create(
        disagreement=eight_years_old, token="token-1", original_name="bruising.pdf",
        content_type="application/pdf", size=11, sha256="0" * 64,
        uploaded_by=person("nia.nurse"), uploaded_at=at(2020, 3, 2, 12),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        report = retention_apply(now=NOW, dry_run=False)
    assert report.cases[0].other["parley_web.EvidenceFile"] == 1
    assert not EvidenceFile.objects.exists()
    assert not stored.exists()
