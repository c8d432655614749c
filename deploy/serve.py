"""The production web server (`make serve-prod`): granian, serving the WSGI app through
core/serving.py's buffered RSGI bridge.

Chosen by measurement (bench/results/wrk-*.md, slow-clients-*.md): granian's HTTP layer is Rust
(hyper on tokio), so connections, keep-alive and request headers cost no Python; the bridge reads
each request's body on the worker's event loop, so a client that trickles its request costs a
coroutine, not a Python thread, and the threads only run the app. gunicorn stays documented as the
alternative (deploy/gunicorn.conf.py).

Settings, from the environment:
    BIND              host:port to listen on (127.0.0.1:8000); a proxy in front serves the public side
    WEB_WORKERS       processes (default: the number of cores; on SQLite use 1)
    WEB_THREADS       Python threads a worker runs the app on (2: the work is CPU-bound Python);
                      read by each worker's bridge (core.serving.create_rsgi_app)
    WEB_BACKLOG       connections the kernel queues (4096: a hall's candidates arrive together)
    WEB_BODY_TIMEOUT  seconds a request body may pause before 408 (60; the bridge)
    WEB_ACCESS_LOG    1 (default) logs every request to stdout; 0 does not

What production relies on, and where it is kept:
- keep-alive: HTTP/1.1 connections stay open between a candidate's saves (granian's default);
- slow clients: a request must send its headers within WEB_HEADER_TIMEOUT seconds (30), and its
  body is read by the bridge before a Python thread is given the request;
- graceful restarts: SIGHUP starts new workers one at a time and stops each old one after its
  requests finish (at most WEB_KILL_TIMEOUT seconds, 30); SIGTERM or SIGINT stops the server;
- no worker recycling by age or requests (a worker restarting mid-exam serves nobody for a second);
  a worker that dies is started again;
- X-Forwarded-*: trusted by the app itself for TRUSTED_PROXIES hops (werkzeug's ProxyFix), the
  same under any server;
- the scheduler runs beside the server as its own process (`flask scheduler run`), never in a worker.
"""

from __future__ import annotations

import os
import sys


def settings(environ: dict[str, str]) -> dict:
    """The server's arguments from the environment."""
    host, _, port = environ.get("BIND", "127.0.0.1:8000").rpartition(":")
    return {
        "address": host or "127.0.0.1",
        "port": int(port),
        "workers": int(environ.get("WEB_WORKERS") or os.cpu_count() or 1),
        "backlog": int(environ.get("WEB_BACKLOG", "4096")),
        "header_timeout_ms": int(float(environ.get("WEB_HEADER_TIMEOUT", "30")) * 1000),
        "kill_timeout": int(environ.get("WEB_KILL_TIMEOUT", "30")),
        "access_log": environ.get("WEB_ACCESS_LOG", "1") != "0",
    }


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Serve the platform in production (granian).")
    parser.add_argument("--wsgi-app", default=os.environ.get("WSGI_APP", "app:create_app"),
                        help="the WSGI app factory (the bench serves bench/hello.py's with it)")
    os.environ["WSGI_APP"] = parser.parse_args(argv).wsgi_app  # read by each worker's factory
    # This serves production only: outside it the app would run with development's settings
    # (insecure cookies, demo data, a key of one machine's instance folder) on a public address.
    if os.environ.get("IIOM_CONFIG") != "production":
        print("deploy/serve.py refuses to start: it serves production, so set IIOM_CONFIG=production "
              "(with SECRET_KEY, DATABASE_URL and the rest of the README's deployment section). "
              "For development use `make run`.", file=sys.stderr)
        return 2
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels

    s = settings(dict(os.environ))
    Granian(
        "core.serving:create_rsgi_app", factory=True, interface=Interfaces.RSGI,
        address=s["address"], port=s["port"], workers=s["workers"], blocking_threads=1,
        backlog=s["backlog"], websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=s["header_timeout_ms"], keep_alive=True),
        respawn_failed_workers=True, workers_lifetime=None, workers_kill_timeout=s["kill_timeout"],
        log_level=LogLevels.info, log_access=s["access_log"],
    ).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
