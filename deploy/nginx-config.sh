#!/usr/bin/env bash
# Render deploy/nginx.conf.template to stdout from the environment (docs/deploy.md).
#
#   PARLEY_NGINX_RUN_DIR      where nginx keeps its pid, logs and temporary files (required)
#   PARLEY_NGINX_LISTEN       the TLS address to listen on (127.0.0.1:8443)
#   PARLEY_WEB_UPSTREAMS      the web processes, space-separated (127.0.0.1:8001 127.0.0.1:8002)
#   PARLEY_STATIC_ROOT        collectstatic's STATIC_ROOT (required)
#   PARLEY_TLS_CERTIFICATE, PARLEY_TLS_KEY   the certificate and its key (required)
#   PARLEY_SERVER_NAME        the host name (_: any)
#   PARLEY_NGINX_DAEMON       on / off (off: stays in the foreground, for a supervisor)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${PARLEY_NGINX_RUN_DIR:?set PARLEY_NGINX_RUN_DIR}"
: "${PARLEY_STATIC_ROOT:?set PARLEY_STATIC_ROOT}"
: "${PARLEY_TLS_CERTIFICATE:?set PARLEY_TLS_CERTIFICATE}"
: "${PARLEY_TLS_KEY:?set PARLEY_TLS_KEY}"
listen=${PARLEY_NGINX_LISTEN:-127.0.0.1:8443}
upstreams=${PARLEY_WEB_UPSTREAMS:-127.0.0.1:8001 127.0.0.1:8002}
static_root=${PARLEY_STATIC_ROOT%/}
mime_types=${PARLEY_NGINX_MIME_TYPES:-/etc/nginx/mime.types}

servers=""
for upstream in $upstreams; do
  servers+="        server ${upstream} max_fails=1 fail_timeout=5s;"$'\n'
done

# Substitute with awk, not sed: paths may hold characters sed would treat as syntax.
awk \
  -v run_dir="$PARLEY_NGINX_RUN_DIR" -v listen="$listen" -v servers="${servers%$'\n'}" \
  -v static_root="$static_root" -v cert="$PARLEY_TLS_CERTIFICATE" \
  -v key="$PARLEY_TLS_KEY" -v server_name="${PARLEY_SERVER_NAME:-_}" \
  -v daemon="${PARLEY_NGINX_DAEMON:-off}" -v mime_types="$mime_types" '
  {
    gsub(/@RUN_DIR@/, run_dir); gsub(/@LISTEN@/, listen); gsub(/@STATIC_ROOT@/, static_root)
    gsub(/@TLS_CERTIFICATE@/, cert); gsub(/@TLS_KEY@/, key)
    gsub(/@SERVER_NAME@/, server_name); gsub(/@DAEMON@/, daemon)
    gsub(/@MIME_TYPES@/, mime_types)
    if ($0 ~ /@UPSTREAM_SERVERS@/) { print servers; next }
    print
  }' "$here/nginx.conf.template"
