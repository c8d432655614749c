"""Where a request's time goes: the hot endpoints run in-process (no HTTP, no other clients) under
cProfile, their own time summed by package. Writes bench/results/profile.md.

    python bench/hot_paths.py [--requests 2000]

It uses the exam-hall benchmark's seeding (one candidate, a 40-question paper, a certificate) on a
SQLite file, and Flask's test client, whose own cost is reported as a line of its own.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import exam_load  # noqa: E402

# Packages by where their files live, most specific first: (label, path fragment).
GROUPS = [
    ("test client (not part of a real request)", "werkzeug/test.py"),
    ("test client (not part of a real request)", "flask/testing.py"),
    ("sessions, CSRF and signing (itsdangerous, flask-wtf)", "itsdangerous/"),
    ("sessions, CSRF and signing (itsdangerous, flask-wtf)", "flask_wtf/"),
    ("sign-in state (flask-login)", "flask_login/"),
    ("templates (jinja2, markupsafe)", "jinja2/"),
    ("templates (jinja2, markupsafe)", "markupsafe/"),
    ("translations and dates (babel)", "babel/"),
    ("translations and dates (babel)", "flask_babel/"),
    ("ORM (sqlalchemy.orm)", "sqlalchemy/orm/"),
    ("SQL building and execution (sqlalchemy core, engine, pool)", "sqlalchemy/"),
    ("Flask and werkzeug (routing, request, response)", "flask/"),
    ("Flask and werkzeug (routing, request, response)", "werkzeug/"),
    ("Flask-SQLAlchemy", "flask_sqlalchemy/"),
    ("forms (wtforms)", "wtforms/"),
    ("the platform's own code", str(ROOT / "core")),
    ("the platform's own code", str(ROOT / "exam")),
    ("the platform's own code", str(ROOT / "accounts")),
    ("the platform's own code", str(ROOT / "certificates")),
    ("the platform's own code", str(ROOT / "question_bank")),
    ("the platform's own code", str(ROOT / "app.py")),
    ("JSON", "json/"),
]


def group(filename: str, function: str) -> str:
    if filename == "~":
        if "sqlite3" in function:
            return "SQLite itself (sqlite3 calls)"
        if "psycopg" in function:
            return "PostgreSQL driver"
        return "other built-ins"
    for label, fragment in GROUPS:
        if fragment in filename:
            return label
    return "other Python"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--out", default="profile.md")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="iiom-profile-"))
    env = {"IIOM_CONFIG": "development", "DATABASE_URL": f"sqlite:///{tmp / 'profile.sqlite3'}",
           "SECRET_KEY": "bench-" + "x" * 40, "UPLOAD_FOLDER": str(tmp / "uploads"),
           "CERT_SIGNING_KEY_FILE": str(tmp / "key.pem")}
    info = exam_load.prepare({**os.environ, **env}, 1)
    os.environ.update(env)
    from app import create_app

    app = create_app()
    client = app.test_client()
    token = exam_load.CSRF.search(client.get("/login").text).group(1)
    client.post("/login", data={"username": "b00000", "password": exam_load.PASSWORD, "csrf_token": token})
    attempt_url = client.post(f"/exam/{info['exam']}/start", data={"csrf_token": token}).headers["location"]
    page = client.get(attempt_url).text
    token = exam_load.CSRF.search(page).group(1)
    config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page, re.S).group(1))
    item, key = re.search(r'data-item="(\d+)" data-type="single".*?name="q\d+" value="([^"]+)"', page, re.S).groups()
    seq = [10]

    def save():
        seq[0] += 1
        response = client.post(config["save_url"], json={"saves": [{"item": int(item), "response": key,
                                                                     "seq": seq[0]}]},
                               headers={"X-CSRFToken": token, "Accept": "application/json"})
        assert response.status_code == 200, response.text

    def clock():
        assert client.get(config["clock_url"]).status_code == 200

    anonymous = app.test_client()  # the yardstick and the employer carry no sign-in

    def ping():
        assert anonymous.get("/ping").status_code == 200

    def verify():
        assert anonymous.get(f"/verify/{info['verify']}").status_code == 200

    sections = []
    timings = {}
    for name, request in (("GET /ping", ping), ("POST save (autosave)", save), ("GET clock poll", clock),
                          ("GET verify page", verify)):
        for _ in range(100):
            request()
        started = time.perf_counter()
        for _ in range(args.requests):
            request()
        timings[name] = (time.perf_counter() - started) / args.requests * 1000
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            request()
        profile.disable()
        totals: dict[str, float] = defaultdict(float)
        for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in pstats.Stats(profile).stats.items():
            totals[group(filename, function)] += own
        whole = sum(totals.values())
        rows = "\n".join(f"| {label} | {100 * t / whole:.0f} % |"
                         for label, t in sorted(totals.items(), key=lambda kv: -kv[1]) if t / whole >= 0.01)
        sections.append(f"### {name}: {timings[name]:.2f} ms a request without the profiler\n\n"
                        f"| where (own time, under cProfile) | share |\n|---|---:|\n{rows}\n")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""# Where the time goes

{stamp} · in-process, SQLite file, Flask test client, {args.requests} requests each ·
`python bench/hot_paths.py --requests {args.requests}` · {os.cpu_count()} CPU(s)

| request | ms each | × the bare endpoint |
|---|---:|---:|
""" + "\n".join(f"| {name} | {ms:.2f} | {ms / timings['GET /ping']:.1f} |" for name, ms in timings.items()) + f"""

Shares are of the time the profiler saw (it slows everything, evenly enough to compare shares).

{chr(10).join(sections)}"""
    out = ROOT / "bench" / "results" / args.out
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
