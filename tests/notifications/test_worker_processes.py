"""Real worker processes against the test database (PostgreSQL): one killed with SIGKILL
in the middle of a batch and restarted, two running at once. No notification is lost,
and none goes out twice under different keys.

What is guaranteed, and so what is checked (docs/adr/0003): handing a message to a mail
server and recording it as sent cannot be one transaction. A worker killed between the
two leaves a message that went but is not recorded; the next worker sends it again
*under the same delivery key* (the email's Message-ID), which the receiving end
recognises. So for email: every notification is delivered, each in exactly one message
(one key), and only the message in flight when the worker died is handed over twice.
GOV.UK Notify can be asked whether it already holds a reference, so through Notify every
message is handed over exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from parley.cases.demo import demo_load
from parley.notifications.models import Notification
from tests.notifications.backends import recorded
from tests.notifications.conftest import HEALTH, POLICE, SCHOOL, SOCIAL_CARE, raise_case
from tests.notifications.fake_notify import API_KEY, TEMPLATE_ID, FakeNotify

pytestmark = pytest.mark.postgres_only
ROOT = Path(__file__).resolve().parents[2]
PRACTITIONERS = {
    HEALTH: "nia.nurse",
    SOCIAL_CARE: "sam.social",
    POLICE: "pat.police",
    SCHOOL: "tess.teacher",
}
# Long enough that a worker slowed by a busy machine keeps its claim while it sends
# (production: 300 seconds), short enough not to wait long for a dead one.
LEASE_SECONDS = 4


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{quote(db['USER'])}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    def __init__(self, tmp_path: Path, extra: dict[str, str]) -> None:
        self.logs = tmp_path
        self.env = {
            **os.environ,
            "PARLEY_DATABASE_URL": database_url(),
            "PARLEY_VAR_DIR": str(tmp_path / "var"),
            "PARLEY_NOTIFY_CLAIM_SECONDS": str(LEASE_SECONDS),
            "PARLEY_NOTIFY_BATCH": "1",
            "PARLEY_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, **env: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "notifications_worker", "--no-reload",
             "--no-startup-delay", "--interval", "0.1", "--sweep-every", "0.5", "-v", "0"],
            cwd=ROOT, env={**self.env, **env}, stdout=subprocess.DEVNULL,
            stderr=(self.logs / f"worker-{len(self.running)}.log").open("wb"),
        )  # fmt: skip
        self.running.append(process)
        return process

    def errors(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.logs.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(tmp_path) -> Iterator[Callable[[dict[str, str]], Workers]]:
    made: list[Workers] = []

    def make(extra: dict[str, str]) -> Workers:
        made.append(Workers(tmp_path, extra))
        return made[-1]

    yield make
    for each in made:
        each.stop_all()
    connection.close()


def outbox_of_many_deliveries() -> int:
    """Immediate-risk disagreements between every pair of agencies, raised now: urgent,
    so due at once whatever the time of day the test runs."""
    partnership = demo_load(with_cases=False)
    for raising, raiser in PRACTITIONERS.items():
        for other, professional in PRACTITIONERS.items():
            if raising != other:
                raise_case(partnership, "twsp", timezone.now(), raiser=raiser, raising=raising,
                           other=other, other_professional=professional,
                           immediate_risk=True)  # fmt: skip
    count = Notification.objects.count()
    assert len(set(Notification.objects.values_list("recipient", flat=True))) >= 8
    return count


def all_sent() -> bool:
    return not Notification.objects.exclude(status=Notification.Status.SENT).exists()


def test_email_a_worker_killed_mid_batch_and_two_at_once_lose_and_double_nothing(
    transactional_db, workers, tmp_path
):
    mail = tmp_path / "mail"
    mail.mkdir()
    total = outbox_of_many_deliveries()
    pool = workers({
        "PARLEY_EMAIL_BACKEND": "tests.notifications.backends.RecordingBackend",
        "PARLEY_TEST_MAIL_DIR": str(mail),
        "PARLEY_TEST_MAIL_DELAY": "0.1",
    })  # fmt: skip

    first = pool.start(PARLEY_TEST_MAIL_DELAY="2")
    wait_for(lambda: (mail / f"{first.pid}.jsonl").exists(), "the first worker's first email")
    first.send_signal(signal.SIGKILL)  # inside its mail server's 2s: sent, not recorded
    assert first.wait(timeout=10) == -signal.SIGKILL
    assert not all_sent(), "the worker should have been killed mid-batch"

    second, third = pool.start(), pool.start()
    wait_for(all_sent, "every notification to be sent")

    lines = recorded(mail)
    by_key = Counter(line["key"] for line in lines)
    # Every notification went, in exactly one message (one key) ...
    carried: dict[int, set[str]] = {}
    for line in lines:
        for number in line["notifications"].split(","):
            carried.setdefault(int(number), set()).add(line["key"])
    assert sorted(carried) == sorted(Notification.objects.values_list("pk", flat=True))
    assert len(carried) == total
    assert all(len(keys) == 1 for keys in carried.values()), (carried, lines)
    for row in Notification.objects.all():
        assert carried[row.pk] == {str(row.delivery_key)}
        assert row.status == Notification.Status.SENT
    # ... the one the killed worker had in flight was handed over again by a successor,
    # under the same key (so the same Message-ID) ...
    killed = {line["key"] for line in lines if line["pid"] == first.pid}
    twice = {key for key, count in by_key.items() if count > 1}
    assert len(killed) == 1 and twice == killed
    assert all(by_key[key] == 2 for key in twice), (by_key, lines)
    for key in twice:
        ids = {line["message_id"] for line in lines if line["key"] == key}
        assert len(ids) == 1
    # ... and the two workers running at once never sent the same message.
    successors = [Counter(line["key"] for line in lines if line["pid"] == p.pid)
                  for p in (second, third)]  # fmt: skip
    assert successors[0] and successors[1], "both workers should have sent some"
    assert not (set(successors[0]) & set(successors[1]))
    assert sum(by_key.values()) == len(by_key) + 1


def test_govuk_notify_a_worker_killed_mid_send_and_two_at_once_send_each_exactly_once(
    transactional_db, workers, tmp_path
):
    notify = FakeNotify(delay=1.5).start()
    try:
        total = outbox_of_many_deliveries()
        pool = workers({
            "PARLEY_NOTIFY_CHANNEL": "govuk-notify",
            "PARLEY_NOTIFY_GOVUK_API_KEY": API_KEY,
            "PARLEY_NOTIFY_GOVUK_TEMPLATE_ID": TEMPLATE_ID,
            "PARLEY_NOTIFY_GOVUK_BASE_URL": notify.url,
        })  # fmt: skip
        first = pool.start()
        assert notify.first_post.wait(timeout=60), pool.errors()
        # Notify has the message; the worker is still waiting for its answer.
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
        in_flight = notify.references()[0]
        assert Notification.objects.filter(delivery_key=in_flight, status="sending").exists()

        pool.start(), pool.start()
        wait_for(all_sent, "every notification to be sent")

        references = Counter(notify.references())
        assert max(references.values()) == 1  # every message handed over exactly once
        keys = set(Notification.objects.values_list("delivery_key", flat=True))
        assert {str(key) for key in keys} == set(references)
        assert Notification.objects.count() == total
        assert in_flight in notify.lookups  # the successor asked before sending again
        taken_over = Notification.objects.filter(delivery_key=in_flight)
        assert {row.attempts for row in taken_over} == {2}
        assert notify.refused == []
    finally:
        notify.stop()
