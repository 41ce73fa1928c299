"""The replica router, without a replica: which database each read and write goes to."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import transaction

from parley.cases.models import Disagreement, Event
from parley.ops.routers import ReplicaRouter
from parley.reports.models import LearningItem

router = ReplicaRouter()


@pytest.fixture
def with_replica(monkeypatch):
    # Only the router's view of settings: no connection to the replica is ever made.
    replica = dict(django_settings.DATABASES["default"])
    monkeypatch.setitem(django_settings.DATABASES, "replica", replica)


def test_without_a_replica_every_read_goes_to_the_default_database():
    assert "replica" not in django_settings.DATABASES
    assert router.db_for_read(LearningItem) is None
    assert router.db_for_read(Event) is None


def test_reads_of_the_reports_app_go_to_the_replica(with_replica):
    assert router.db_for_read(LearningItem) == "replica"


def test_reads_of_case_work_stay_on_the_default_database(with_replica):
    assert router.db_for_read(Disagreement) is None
    assert router.db_for_read(Event) is None


def test_writes_always_go_to_the_default_database(with_replica):
    assert router.db_for_write(LearningItem) == "default"
    assert router.db_for_write(Event) == "default"


def test_reads_inside_a_transaction_on_default_see_its_writes(db, with_replica):
    with transaction.atomic():
        assert router.db_for_read(LearningItem) == "default"


def test_the_replica_is_never_migrated():
    assert router.allow_migrate("replica", "cases") is False
    assert router.allow_migrate("default", "reports") is True


def test_objects_from_the_replica_and_default_may_be_related():
    from_replica, from_default = LearningItem(), Disagreement()
    from_replica._state.db, from_default._state.db = "replica", "default"
    assert router.allow_relation(from_replica, from_default) is True
