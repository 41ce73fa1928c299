"""Benchmark: the case, home and register pages at a million disagreements, against floors.

    .venv/bin/python bench/pages.py [--seconds 10] [--connections 16] [--database-url URL]

Needs ``wrk`` (Debian's package: apt-get install wrk) and the database that
``bench/report_scale.py`` generated (``parley_bench_reports``: 1,000,000 disagreements).
It signs in the business manager of one generated partnership (a session made as the
sign-in pages make it, second factor passed), starts gunicorn with 2 sync workers on
loopback, and runs wrk with 16 connections against, in one run:

1. the floor: a bare view (``/healthz``), without a session;
2. the floor: one primary-key lookup over the million-row table, without a session
   (the floor the targets are set against), each request a different row;
3. the same lookup signed in, through every middleware a signed-in page passes;
4. the case page, each request a different one of 2,000 of the partnership's cases (so
   nothing is answered from what the request before it read), the home "your actions"
   page and the register, signed in.

Each page must reach 0.3 of the primary-key floor's requests a second, with a 99th
percentile under 50 ms. The figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import machine  # noqa: E402  (bench/ is on the path above)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parley_bench_reports"
PORT = 8731
# How many different cases the case page cycles through (and rows the floor looks up).
CASES = 2_000


def session_cookie() -> tuple[str, list[str], list[str]]:
    """A signed-in session for the business manager of bench-001; references of cases
    they can see; primary keys spread over the million-row table."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from parley.accounts.services import session_mark_signed_in
    from parley.cases.models import Disagreement, Person

    manager = Person.objects.filter(
        partnership__slug="bench-001", roles__role="business-manager", roles__agency__isnull=True
    ).first()
    if manager is None:
        raise SystemExit("no business manager in bench-001: generate with bench/report_scale.py")
    if manager.user is None:
        user = get_user_model().objects.create_user("bench.manager", password=None)
        manager.user = user
        manager.save(update_fields=["user"])
    user = manager.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or (
        TOTPDevice.objects.create(user=user, name="Authenticator app")
    )
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session_mark_signed_in(session)
    session.create()
    # Open and closed cases alike, as a business manager looks through the register.
    references = list(
        Disagreement.objects.filter(partnership=manager.partnership)
        .order_by("?")
        .values_list("reference", flat=True)[:CASES]
    )
    count = Disagreement.objects.count()
    step = max(1, count // CASES)
    low = Disagreement.objects.order_by("pk").values_list("pk", flat=True).first() or 1
    pks = [str(low + i * step) for i in range(CASES)]
    return session.session_key, references, pks


def wrk_script(paths: list[str]) -> Path:
    """A wrk script asking for each path in turn, from a shuffled list."""
    script = Path(tempfile.mkstemp(prefix="parley-wrk-", suffix=".lua")[1])
    quoted = ",\n".join(f'  "{path}"' for path in paths)
    script.write_text(
        f"local paths = {{\n{quoted}\n}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\n'
        "end\n"
    )
    return script


def wrk(
    base: str, paths: list[str], cookie: str, seconds: int, connections: int
) -> tuple[float, float]:
    """Requests a second and the 99th percentile latency in milliseconds."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    script = wrk_script(paths)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
             *headers, base],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
    finally:
        script.unlink()
    if "Non-2xx" in out:
        raise SystemExit(f"{paths[0]} and others answered with errors:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99 is not None
    value, unit = float(p99.group(1)), p99.group(2)
    return rate, value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--database-url", default=os.environ.get("PARLEY_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    env = {
        **os.environ,
        "PARLEY_DATABASE_URL": args.database_url,
        "PARLEY_DEBUG": "0",
        "PARLEY_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "parley.settings",
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
    }
    os.environ.update({k: env[k] for k in ("PARLEY_DATABASE_URL", "DJANGO_SETTINGS_MODULE")})
    key, references, pks = session_cookie()
    cookie = f"sessionid={key}"
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--config", str(ROOT / "deploy/gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{PORT}", "bench_wsgi:application"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        print(f"Machine: {machine()}")
        print(
            f"gunicorn 2 sync workers, wrk {args.connections} connections, {args.seconds} s "
            f"each; the case page and the lookups cycle through {CASES:,} cases"
        )
        targets = [
            ("floor: bare view (/healthz)", ["/healthz"]),
            ("floor: one primary-key lookup", [f"/healthz/floor/one-lookup/{pk}/" for pk in pks]),
            (
                "floor: one primary-key lookup, signed in",
                [f"/bench/one-lookup/{pk}/" for pk in pks],
            ),
            ("case page", [f"/cases/{reference}/" for reference in references]),
            ("home: your actions", ["/"]),
            ("register", ["/register/"]),
        ]
        results = {}
        for label, paths in targets:
            # Each must be the page itself, not a redirect to signing in.
            for path in paths[:3]:
                request = urllib.request.Request(base + path, headers={"Cookie": cookie})
                with urllib.request.urlopen(request, timeout=30) as answer:
                    if answer.url != base + path or answer.status != 200:
                        raise SystemExit(f"{path} answered {answer.status} at {answer.url}")
            # The floors under /healthz are asked without the session, as the bare
            # views they stand for; the rest as the signed-in business manager.
            sent = "" if paths[0].startswith("/healthz") else cookie
            wrk(base, paths, sent, 2, args.connections)  # warm up
            rate, p99 = wrk(base, paths, sent, args.seconds, args.connections)
            results[label] = rate
            print(f"  {label}: {rate:,.0f} requests/s, 99th percentile {p99:.1f} ms")
        floor = results["floor: one primary-key lookup"]
        signed = results["floor: one primary-key lookup, signed in"]
        for label in ("case page", "home: your actions", "register"):
            print(
                f"  {label}: {results[label] / floor:.2f} of the primary-key floor "
                f"(target 0.3); {results[label] / signed:.2f} of the signed-in one"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
