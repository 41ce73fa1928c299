#!/usr/bin/env bash
# Run one of Parley's processes in the foreground, for a supervisor (systemd, a
# container runtime) to keep alive (docs/deploy.md). Settings come from the
# environment (PARLEY_ENV=production, PARLEY_SECRET_KEY, PARLEY_DATABASE_URL ...).
#
#   deploy/parley-process.sh web ADDRESS   a gunicorn web process on ADDRESS (127.0.0.1:8001)
#   deploy/parley-process.sh worker        a task worker (django-tasks' db_worker, with
#                                          the notifications clock)
#   deploy/parley-process.sh release       migrate and collectstatic, once per release
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=${PARLEY_VENV_BIN:-$root/.venv/bin}

case "${1:-}" in
  web)
    export PARLEY_BIND=${2:-${PARLEY_BIND:-127.0.0.1:8001}}
    exec "$bin/gunicorn" --config "$root/deploy/gunicorn.conf.py"
    ;;
  worker)
    # django-tasks' db_worker plus a clock that enqueues the notifications sweep
    # (docs/adr/0003); several may run at once. --no-reload: a production worker
    # finishes its task rather than restarting mid-way.
    exec "$bin/python" manage.py notifications_worker --no-reload --queue-name '*'
    ;;
  release)
    "$bin/python" manage.py migrate --noinput
    exec "$bin/python" manage.py collectstatic --noinput --verbosity 0
    ;;
  *)
    echo "usage: deploy/parley-process.sh web [ADDRESS] | worker | release" >&2
    exit 2
    ;;
esac
