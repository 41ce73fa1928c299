"""Benchmark: what each page costs the web process, measured in its own CPU time.

    .venv/bin/python bench/page_cost.py [--database-url URL] [--requests 200]

For comparing two versions of Parley on a shared machine, where requests a second
(``bench/pages.py``) move with whatever else the machine is doing: the CPU time the
process spends on a request hardly does. Against a database ``bench/report_scale.py``
generated (``parley_bench_reports`` unless told), it signs in the business manager of
``bench-001`` as the sign-in pages would, then asks Django's test client for the case page
(cycling through 200 of the partnership's cases), home and the register, each after ten
requests to warm up, and prints for each page the median and 90th percentile of the
process's CPU time a request, and the median wall time. PostgreSQL's own work is in the
wall time, not the CPU time (the statements each page sends are counted by the page
tests, which assert they stay the same as cases grow).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/parley_bench_reports"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=os.environ.get("PARLEY_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    os.environ.update(
        {
            "PARLEY_DATABASE_URL": args.database_url,
            "PARLEY_DEBUG": "0",
            "PARLEY_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "parley.settings",
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from pages import machine, session_cookie  # the business manager, signed in

    key, references, _ = session_cookie()
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    pages = {
        "case page": [f"/cases/{reference}/" for reference in references[:200]],
        "home: your actions": ["/"],
        "register": ["/register/"],
    }
    print(f"Machine: {machine()}")
    print(f"{args.requests} requests a page after 10 to warm up; CPU time of this process")
    for label, paths in pages.items():
        for i in range(10):
            answer = client.get(paths[i % len(paths)])
            if answer.status_code != 200:
                raise SystemExit(f"{paths[0]} answered {answer.status_code}")
        cpu, wall = [], []
        for i in range(args.requests):
            path = paths[i % len(paths)]
            c0, w0 = time.process_time(), time.perf_counter()
            client.get(path)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        cpu.sort()
        print(
            f"  {label}: CPU {statistics.median(cpu):.2f} ms median, "
            f"{cpu[int(len(cpu) * 0.9)]:.2f} ms 90th percentile; wall "
            f"{statistics.median(wall):.2f} ms median"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
