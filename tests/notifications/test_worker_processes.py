"""Real worker processes against the test database (PostgreSQL): one killed with SIGKILL
in the middle of a batch and restarted, two running at once. No notification is lost,
and none goes out twice under different keys.

What is guaranteed, and so what is checked (docs/notifications.md): handing a message
to a mail server and recording it as sent cannot be one transaction, so the record comes
first. A message is marked as handed over, committed, after the server has taken the
recipient and before the end of the text is sent. A worker killed after the mark is
never followed by a second copy (its message is listed as "Sent, not confirmed"); one
killed before it had sent nothing the server keeps, and a successor sends it once.
The tests run a real SMTP server (aiosmtpd) that is slow at the moment of the kill.
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
from tests.notifications.conftest import HEALTH, POLICE, SCHOOL, SOCIAL_CARE, raise_case
from tests.notifications.fake_notify import API_KEY, TEMPLATE_ID, FakeNotify
from tests.notifications.mail_server import MailServer

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


def carried_by(messages) -> dict[int, list[str]]:
    """For each notification, the delivery keys of the messages the server kept with it."""
    carried: dict[int, list[str]] = {}
    for message in messages:
        for number in message.notification_ids:
            carried.setdefault(number, []).append(str(message.message["X-Parley-Delivery"]))
    return carried


def settled() -> bool:
    return not Notification.objects.filter(status__in=Notification.PENDING).exists()


@pytest.fixture
def smtp_server():
    server = MailServer().start()
    yield server
    server.stop()


def test_email_a_worker_killed_after_handing_a_message_over_is_not_followed_by_a_copy(
    transactional_db, workers, smtp_server
):
    """Killed while the mail server holds the whole message and has not yet said so: the
    message was marked handed over before its end was sent, so no successor sends it
    again. It is listed as "Sent, not confirmed"; everything else goes once."""
    total = outbox_of_many_deliveries()
    smtp_server.slow_at, smtp_server.slow_seconds = "DATA", 3
    pool = workers(smtp_server.environment())

    first = pool.start()
    assert smtp_server.reached["DATA"].wait(60), pool.errors()
    first.send_signal(signal.SIGKILL)  # the server has it; the worker has no answer yet
    assert first.wait(timeout=10) == -signal.SIGKILL
    smtp_server.slow_at = ""
    assert not settled(), "the worker should have been killed mid-batch"

    killed_key = str(smtp_server.received[0].message["X-Parley-Delivery"])
    pool.start(), pool.start()
    # Settled: nothing left to send, and no successor still waiting for the server's
    # answer (its message is "Sent, not confirmed" for that moment).
    wait_for(
        lambda: (
            settled()
            and not Notification.objects.filter(status="unconfirmed")
            .exclude(delivery_key=killed_key)
            .exists()
        ),
        "every notification to be sent or settled",
        timeout=90,
    )

    keys = Counter(str(m.message["X-Parley-Delivery"]) for m in smtp_server.received)
    assert max(keys.values()) == 1, keys  # no message went twice ...
    carried = carried_by(smtp_server.received)
    assert sorted(carried) == sorted(Notification.objects.values_list("pk", flat=True))
    assert len(carried) == total  # ... none was lost ...
    assert all(len(k) == 1 for k in carried.values())  # ... each went in one message
    in_doubt = Notification.objects.filter(status=Notification.Status.UNCONFIRMED)
    assert {str(row.delivery_key) for row in in_doubt} == {killed_key}, [
        (str(row.delivery_key), row.last_error, row.attempts) for row in in_doubt
    ]
    assert {row.attempts for row in in_doubt} == {1}
    sent = Notification.objects.filter(status=Notification.Status.SENT)
    assert sent.count() + in_doubt.count() == total
    for row in sent:
        assert row.provider_reference.startswith("2.0.0 Ok: queued as Q")


def test_email_a_worker_killed_before_handing_a_message_over_is_followed_by_one_copy(
    transactional_db, workers, smtp_server
):
    """Killed while the mail server is still taking the recipient: nothing was handed
    over, the server keeps nothing, and a successor sends the message once, under the
    same key. Two workers running at once never send the same message."""
    total = outbox_of_many_deliveries()
    smtp_server.slow_at, smtp_server.slow_seconds = "RCPT", 3
    pool = workers(smtp_server.environment())

    first = pool.start()
    assert smtp_server.reached["RCPT"].wait(60), pool.errors()
    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=10) == -signal.SIGKILL
    smtp_server.slow_at = ""
    in_flight = Notification.objects.filter(status=Notification.Status.SENDING)
    keys_in_flight = {str(row.delivery_key) for row in in_flight}
    assert len(keys_in_flight) == 1

    pool.start(), pool.start()
    wait_for(all_sent, "every notification to be sent", timeout=90)

    keys = Counter(str(m.message["X-Parley-Delivery"]) for m in smtp_server.received)
    assert max(keys.values()) == 1, keys
    carried = carried_by(smtp_server.received)
    assert len(carried) == total and all(len(k) == 1 for k in carried.values())
    assert keys_in_flight <= set(keys)  # taken over under the same key
    taken_over = Notification.objects.filter(delivery_key__in=keys_in_flight)
    assert {row.attempts for row in taken_over} == {2}


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
