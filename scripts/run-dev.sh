#!/usr/bin/env bash
# Runs the development web server and, when WORKER_CMD is set, a second
# process beside it (the task worker). When either stops, or this script is
# interrupted, both are stopped.
set -euo pipefail

PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WORKER_CMD=${WORKER_CMD:-}
# Links in e-mails (and on the development mail page) lead to the port being served.
export PARLEY_BASE_URL=${PARLEY_BASE_URL:-http://$HOST:$PORT}

pids=()

stop_all() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

if [[ -n $WORKER_CMD ]]; then
  echo "Starting worker: $WORKER_CMD"
  bash -c "$WORKER_CMD" &
  pids+=("$!")
fi

"$PY" manage.py runserver "$HOST:$PORT" --noreload &
pids+=("$!")

# Return as soon as either process stops, with its status.
status=0
wait -n "${pids[@]}" || status=$?
exit "$status"
