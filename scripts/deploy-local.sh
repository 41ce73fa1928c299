#!/usr/bin/env bash
# Bring up Parley's production layout on loopback, walk through it, tear it down
# (docs/deploy.md): PostgreSQL (already running), two gunicorn web processes, two task
# workers, nginx in front with TLS and static files. Exits non-zero on any failure.
#
#   scripts/deploy-local.sh          (or: make deploy-check)
#
# PARLEY_DEPLOY_POSTGRES   the server, without a database name
#                          (postgres://postgres@127.0.0.1:5432)
# PARLEY_DEPLOY_DATABASE   the scratch database, created and dropped (parley_deploy)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$root/.venv/bin
server_url=${PARLEY_DEPLOY_POSTGRES:-postgres://postgres@127.0.0.1:5432}
database=${PARLEY_DEPLOY_DATABASE:-parley_deploy}

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

# --- what it needs --------------------------------------------------------------------
if ! command -v nginx >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    say "Installing nginx from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  else
    fail "nginx is not installed (as root: apt-get install -y nginx-light)"
  fi
fi
for tool in psql openssl curl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
[[ -x $bin/gunicorn ]] || fail "no .venv: run make install first"

# --- tear-down, whatever happens --------------------------------------------------------
run_dir=$(mktemp -d -t parley-deploy.XXXXXX)
# nginx's workers run as nobody when the script runs as root: let them read the files.
chmod 755 "$run_dir"
pids=()
database_created=0
tear_down() {
  local status=$?
  trap - EXIT INT TERM
  say "Tearing down"
  if [[ -f $run_dir/nginx/nginx.pid ]]; then
    kill -QUIT "$(cat "$run_dir/nginx/nginx.pid")" 2>/dev/null || true
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $database_created -eq 1 ]]; then
    psql "$server_url/postgres" -qAtc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" \
      || status=1
  fi
  if [[ $status -ne 0 ]]; then
    echo "--- last lines of the process logs ---" >&2
    tail -n 15 "$run_dir"/logs/*.log "$run_dir"/nginx/error.log 2>/dev/null >&2 || true
  fi
  rm -rf "$run_dir"
  if [[ $status -eq 0 ]]; then echo "deploy check: PASSED"; else echo "deploy check: FAILED" >&2; fi
  exit "$status"
}
trap tear_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  "$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
web_ports=("$(free_port)" "$(free_port)")
proxy_port=$(free_port)
[[ ${web_ports[0]} != "${web_ports[1]}" && $proxy_port != "${web_ports[0]}" ]] || fail "ports clashed; run again"
origin="https://127.0.0.1:$proxy_port"
mkdir -p "$run_dir/logs" "$run_dir/nginx" "$run_dir/var"

# --- settings from the environment, as in production ---------------------------------------
export PARLEY_ENV=production
PARLEY_SECRET_KEY=$(openssl rand -hex 32)
export PARLEY_SECRET_KEY
export PARLEY_ALLOWED_HOSTS=127.0.0.1
export PARLEY_DATABASE_URL="$server_url/$database"
export PARLEY_VAR_DIR=$run_dir/var
export PARLEY_SECURE_PROXY_SSL_HEADER=1
export PARLEY_TRUSTED_PROXY_COUNT=1
export PARLEY_BASE_URL=$origin
export PARLEY_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend
export PARLEY_LOG_LEVEL=WARNING

say "Creating the database $database"
psql "$server_url/postgres" -qAtc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)"
psql "$server_url/postgres" -qAtc "CREATE DATABASE \"$database\""
database_created=1

say "Release: migrate, collectstatic"
deploy/parley-process.sh release >"$run_dir/logs/release.log" 2>&1 || fail "release step (see above)"
static_root=$run_dir/var/static
[[ -f $static_root/govuk-frontend/govuk-frontend.min.css ]] || fail "collectstatic wrote no CSS"
chmod -R a+rX "$run_dir/var"

# The demo people exist only for this check: demo_load refuses PARLEY_ENV=production.
PARLEY_ENV=development "$bin/python" manage.py demo_load >"$run_dir/logs/demo.log" 2>&1 \
  || fail "loading the demo partnership"

say "Starting 2 web processes, 2 workers, nginx"
for index in 0 1; do
  deploy/parley-process.sh web "127.0.0.1:${web_ports[$index]}" \
    >"$run_dir/logs/web$index.log" 2>&1 &
  pids+=("$!")
done
for index in 0 1; do
  deploy/parley-process.sh worker >"$run_dir/logs/worker$index.log" 2>&1 &
  pids+=("$!")
done
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$run_dir/nginx/key.pem" \
  -out "$run_dir/nginx/cert.pem" 2>/dev/null
PARLEY_NGINX_RUN_DIR=$run_dir/nginx PARLEY_NGINX_LISTEN=127.0.0.1:$proxy_port \
  PARLEY_WEB_UPSTREAMS="127.0.0.1:${web_ports[0]} 127.0.0.1:${web_ports[1]}" \
  PARLEY_STATIC_ROOT=$static_root PARLEY_TLS_CERTIFICATE=$run_dir/nginx/cert.pem \
  PARLEY_TLS_KEY=$run_dir/nginx/key.pem PARLEY_NGINX_DAEMON=on \
  deploy/nginx-config.sh >"$run_dir/nginx/nginx.conf"
nginx -p "$run_dir/nginx" -c "$run_dir/nginx/nginx.conf" -e "$run_dir/nginx/error.log" \
  2>"$run_dir/logs/nginx-start.log" || fail "nginx would not start: $(cat "$run_dir/logs/nginx-start.log")"

curl_() { curl --silent --show-error --insecure --max-time 10 "$@"; }
for port in "${web_ports[@]}"; do
  for _ in $(seq 1 60); do
    curl_ -o /dev/null "http://127.0.0.1:$port/healthz" -H "X-Forwarded-Proto: https" 2>/dev/null && break
    sleep 0.5
  done
done

# --- the smoke journey, through the proxy ---------------------------------------------------
say "Smoke journey through $origin"
body=$(curl_ --fail "$origin/healthz") || fail "/healthz through the proxy"
[[ $body == ok ]] || fail "/healthz said $body"
echo "ok  /healthz through nginx"

for _ in 1 2 3 4 5 6; do curl_ --fail -o /dev/null "$origin/healthz"; done
for index in 0 1; do
  grep -q '"GET /healthz' "$run_dir/logs/web$index.log" \
    || fail "web process $index answered no request: not round-robin"
done
echo "ok  both web processes answered (round-robin)"

headers=$(curl_ --fail -D - -o /dev/null "$origin/assets/parley/parley.css") \
  || fail "Parley's stylesheet through nginx"
grep -qi '^cache-control: .*max-age=86400' <<<"$headers" || fail "no cache header on CSS: $headers"
grep -qi '^content-type: text/css' <<<"$headers" || fail "CSS served as: $headers"
image=$(cd "$static_root" && find images -type f -name '*.svg' | head -n 1)
headers=$(curl_ --fail -D - -o /dev/null "$origin/assets/$image") || fail "an image through nginx"
grep -qi '^cache-control: .*max-age=31536000' <<<"$headers" || fail "no long cache header on $image"
if [[ -n $(cd "$static_root" && find . -name '*.woff*') ]]; then fail "font files collected"; fi
if grep -q '/assets/' "$run_dir"/logs/web*.log; then fail "static files reached gunicorn"; fi
echo "ok  static files from nginx with cache headers (CSS a day, images a year), no fonts, none through Django"

jar=$run_dir/cookies.txt
page=$(curl_ --fail -c "$jar" -b "$jar" "$origin/sign-in/") || fail "the sign-in page"
grep -q 'name="password"' <<<"$page" || fail "the sign-in page has no password field"
echo "ok  the sign-in page renders (200)"

csrf() { grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' <<<"$1" | head -n 1 | sed 's/.*value="//; s/"$//'; }
if [[ -f parley/accounts/cli.py ]] && grep -q 'demo-code' parley/accounts/cli.py; then
  token=$(csrf "$page")
  next=$(curl_ -c "$jar" -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
    -H "Origin: $origin" -H "Referer: $origin/sign-in/" \
    --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=nia.nurse" \
    --data-urlencode "password=demo-password-1" "$origin/sign-in/")
  [[ $next == "302 $origin/sign-in/code/"* ]] || fail "password step answered $next"
  page=$(curl_ --fail -c "$jar" -b "$jar" "$origin/sign-in/code/") || fail "the code page"
  code=$("$bin/parley" demo-code 2>/dev/null)
  next=$(curl_ -c "$jar" -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
    -H "Origin: $origin" -H "Referer: $origin/sign-in/code/" \
    --data-urlencode "csrfmiddlewaretoken=$(csrf "$page")" --data-urlencode "code=$code" \
    "$origin/sign-in/code/")
  [[ $next == "302 "* ]] || fail "code step answered $next"
  home=$(curl_ --fail -c "$jar" -b "$jar" "$origin/") || fail "the home page after signing in"
  grep -q 'Nia Evans\|Sign out' <<<"$home" || fail "the home page does not show a signed-in person"
  # Twice more: each request may land on either web process, and the session holds.
  for _ in 1 2; do
    curl_ --fail -o /dev/null -c "$jar" -b "$jar" "$origin/" || fail "home page on another process"
  done
  echo "ok  signed in as nia.nurse (password + authenticator code) through the proxy"
else
  echo "skip signing in: the sign-in pages and parley demo-code are not here yet"
fi

# A person's journey in a real browser, through nginx and TLS to either web process.
scripts/ensure-chromium.sh >"$run_dir/logs/chromium.log" 2>&1 \
  || fail "Chromium is needed for the browser journey: $(tail -n 3 "$run_dir/logs/chromium.log")"
"$bin/python" scripts/deploy_journey.py "$origin" --screenshots var/deploy-check \
  || fail "the browser journey through the proxy"

# Each worker's clock enqueues the notifications sweep on start; the workers run it.
ran=0
for _ in $(seq 1 60); do
  ran=$(psql "$PARLEY_DATABASE_URL" -qAtc \
    "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult WHERE status = 'SUCCESSFUL'")
  [[ $ran -gt 0 ]] && break
  sleep 0.5
done
[[ $ran -gt 0 ]] || fail "the task workers ran no task"
echo "ok  the task workers ran $ran task(s) from the queue"

for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || fail "a process stopped early (pid $pid)"
done
echo "ok  2 web processes and 2 task workers still running"
