"""gunicorn settings for one Parley web process (docs/deploy.md).

    gunicorn --config deploy/gunicorn.conf.py

Run as many of these as the load needs, each on its own address, behind the proxy.
Every setting the environment does not give has a default fit for a two-core machine.

``PARLEY_BIND``            the address to listen on (127.0.0.1:8001)
``PARLEY_WEB_WORKERS``     sync worker processes (2)
``PARLEY_WEB_TIMEOUT``     seconds before a stuck request's worker is restarted (30)
``PARLEY_WEB_MAX_REQUESTS``  requests before a worker is replaced (50000)
``PARLEY_FORWARDED_ALLOW_IPS``  the proxy's addresses, trusted for X-Forwarded-Proto
                           (127.0.0.1)
"""

import os

wsgi_app = "parley.wsgi:application"
bind = [os.environ.get("PARLEY_BIND", "127.0.0.1:8001")]
# Sync workers: Parley's pages are short database-bound requests; more processes, not
# threads, keep one slow report from holding up another person's case page.
worker_class = "sync"
workers = int(os.environ.get("PARLEY_WEB_WORKERS", "2"))
timeout = int(os.environ.get("PARLEY_WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak in any library cannot grow for ever.
# A worker is replaced after this many requests (a guard against slow memory growth).
# The application is loaded once in the master and each worker forked from it, so a
# replacement costs a fork, not a fresh start of Django: at 2,000 requests a busy
# worker was restarting every few seconds, each time taking a second to load.
max_requests = int(os.environ.get("PARLEY_WEB_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
preload_app = True
forwarded_allow_ips = os.environ.get("PARLEY_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The workers' heartbeat files in memory, not on a disk that may be slow or shared.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("PARLEY_LOG_LEVEL", "info").lower()
proc_name = "parley-web"
