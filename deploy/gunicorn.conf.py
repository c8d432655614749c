"""gunicorn settings for production (`make serve-prod`). Workers share nothing in memory: sessions
are signed cookies, the login throttle, the answer record and every lock live in the database,
and scheduled jobs run in the separate `flask scheduler run` process."""

import multiprocessing
import os

# This file serves production only: outside it the app would run with development's settings
# (insecure cookies, demo data, a key of one machine's instance folder) on a public address.
if os.environ.get("IIOM_CONFIG") != "production":
    raise SystemExit(
        "deploy/gunicorn.conf.py refuses to start: it serves production, so set IIOM_CONFIG=production "
        "(with SECRET_KEY, DATABASE_URL and the rest of the README's deployment section). "
        "For development use `make run`."
    )

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Few threads: the work is CPU-bound Python, and the bench measured 8 threads a worker serving about
# half of what 1-2 serve (the threads contend for the GIL). Slow clients wait in nginx, not here; a
# second thread keeps one slow request (an export) from stalling a whole exam hall.
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
# Open keep-alive connections a worker holds (gunicorn's default is 1000): an exam hall keeps one
# per candidate, and connections beyond the limit are not served.
worker_connections = int(os.environ.get("WEB_CONNECTIONS", "2000"))
timeout = 60
graceful_timeout = 30
# Longer than nginx's upstream keepalive_timeout (60 s): a connection closed by gunicorn while the proxy
# or a candidate's browser reuses it is a failed save (the bench saw thousands at the default).
keepalive = 75
# No recycling of workers by request count: with 1,000 candidates saving, a limit of a few thousand
# restarts every worker several times an exam, and a worker restarting serves nobody for a second.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

