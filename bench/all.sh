#!/usr/bin/env bash
# Every benchmark in one run, for docs/performance.md: each figure beside its floor.
#
#   bench/all.sh            generate the million-case database afresh, then measure
#   bench/all.sh --reuse    measure the database an earlier run generated
#
# Needs PostgreSQL on 127.0.0.1:5432 and wrk (apt-get install wrk). The output, with
# the machine and the date, goes to var/bench/all-<date>.log as well as the screen.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=.venv/bin/python
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
mkdir -p var/bench
log="var/bench/all-$(date -u +%Y-%m-%d).log"
{
  echo "Benchmarks run $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)"
  if [[ ${1:-} == --reuse ]]; then
    PARLEY_LOG_LEVEL=WARNING PARLEY_DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley_bench_reports \
      .venv/bin/parley migrate --verbosity 0
    echo "== Board reports (bench/report_scale.py --reuse)"
    $py bench/report_scale.py --reuse
  else
    echo "== Generating 1,000,000 disagreements; board reports (bench/report_scale.py)"
    time $py bench/report_scale.py
  fi
  echo "== What is overdue; recomputing deadlines (bench/overdue_and_recompute.py)"
  $py bench/overdue_and_recompute.py
  echo "== The stored size of a case (bench/case_size.py)"
  $py bench/case_size.py
  echo "== Pages under load (bench/pages.py)"
  $py bench/pages.py
  echo "== The notification sweep over 100,000 open cases (bench/notifications_sweep.py)"
  $py bench/notifications_sweep.py
} 2>&1 | tee "$log"
echo "Written to $log"
