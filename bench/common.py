"""What the benchmarks share: a database of their own, and the machine they ran on."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def recreate(url: str) -> None:
    import psycopg

    from parley.dburl import database_from_url

    db = database_from_url(url)
    name = db["NAME"]
    if not name.startswith("parley_bench"):
        raise SystemExit(
            f"refusing to recreate {name!r}: a benchmark's database is named parley_bench*"
        )
    with psycopg.connect(
        dbname="postgres", user=db["USER"] or None, password=db["PASSWORD"] or None,
        host=db["HOST"] or None, port=db["PORT"] or None, autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs{memory}; Python {platform.python_version()}"
