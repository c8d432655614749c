"""The exam-hall load benchmark: a real server on loopback, simulated candidates over HTTP.

    python bench/exam_load.py --config sqlite --candidates 300
    python bench/exam_load.py --config postgres --candidates 300 --workers 4   (needs BENCH_DATABASE_URL)

Phases, each measured per endpoint (count, errors, throughput, p50/p95/p99):
1. N candidates sign in as they arrive, then all press Start within one second (the start storm)
   and open the answering page;
2. the ratios, in R rounds: K clients hammer GET /ping (no database: the yardstick), K signed-in
   candidates save answers as fast as they can (full stack: session, CSRF, validation, sequence),
   K clients open a certificate's verify page; each throughput over the yardstick's, median of R;
3. every candidate answers the paper with think time, autosaving every answer, then all submit
   within five seconds (the deadline storm);
4. checks from the database: every acknowledged save is stored, nothing submitted twice, every
   attempt graded (waiting up to 60 s for the grading job when grading is not in the request).
A markdown report goes to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "Bench-pass-2026"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Stats:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.kinds: dict[str, int] = defaultdict(int)  # what the failures were: status or exception

    def record(self, name: str, seconds: float, ok: bool) -> None:
        self.times[name].append(seconds)
        if not ok:
            self.errors[name] += 1

    def rows(self, wall: float) -> list[tuple]:
        out = []
        for name, times in self.times.items():
            q = statistics.quantiles(times, n=100) if len(times) >= 2 else [times[0]] * 99
            out.append((name, len(times), self.errors[name], len(times) / wall, q[49] * 1000, q[94] * 1000,
                        q[98] * 1000))
        return out


async def timed(stats: Stats, name: str, coro):
    start = time.perf_counter()
    try:
        response = await coro
        ok = response.status_code < 500
    except httpx.HTTPError as exc:
        stats.record(name, time.perf_counter() - start, False)
        stats.kinds[type(exc).__name__] += 1
        return None
    stats.record(name, time.perf_counter() - start, ok)
    if not ok:
        stats.kinds[f"HTTP {response.status_code}"] += 1
    return response


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_code(candidates: int, prefix: str, title: str) -> str:
    """The start of a seeding child process (the app's own code), shared by the benchmarks: migrate,
    the shipped bank, N candidates `{prefix}00000`… (`users`), a published exam of 40 questions
    (`exam`) with them on its roster, at `now`. The caller appends its own steps."""
    return f"""
import json, secrets, sys
sys.path.insert(0, {str(ROOT)!r})
from datetime import timedelta
from decimal import Decimal
from flask_migrate import upgrade
from sqlalchemy import select
from app import create_app
from core import clock
from core.extensions import db
app = create_app()
with app.app_context():
    upgrade()
    from accounts import services as accounts
    from accounts.models import Role, User
    from question_bank import demo as bank
    from exam import admin, halls, seal, services
    from exam.models import MultipleRule, ReviewPolicy
    from question_bank.models import Level, QuestionType
    bank.load(db.session)
    digest = accounts.hash_password({PASSWORD!r})
    accounts.hash_password = lambda _password: digest  # one scrypt for N identical bench passwords
    users = [accounts.create_user(db.session, username=f"{prefix}{{n:05d}}", full_name=f"考生{{n}}",
                                  role=Role.CANDIDATE, password={PASSWORD!r}) for n in range({candidates})]
    db.session.flush()
    now = clock.now()
    exam = admin.save_exam(db.session, exam=None, actor=None, fields=dict(
        title={title!r}, event="bench", event_id=None, level=Level.JUNIOR, duration_minutes=60,
        opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(hours=3), allow_overrun=False,
        access_code="", shuffle_questions=True, shuffle_options=True, pass_score=Decimal(60),
        review_policy=ReviewPolicy.NEVER, multiple_rule=MultipleRule.PARTIAL, partial_fraction=Decimal("0.5"),
        grace_seconds=15))
    for qtype, count, pts in (("single", 20, "2"), ("multiple", 10, "3"), ("true_false", 10, "1")):
        admin.add_section(db.session, exam=exam, type=QuestionType(qtype), title="", points=Decimal(pts),
                          quotas=[{{"count": count}}], actor=None)
    admin.add_to_roster(db.session, exam=exam, usernames=[u.username for u in users], actor=None)
    services.publish(db.session, exam=exam, actor=None, now=now)
"""


def run_seed(env: dict, code: str) -> dict:
    """Run a seeding child process; its last line of output is a JSON object."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["seed_seconds"] = time.perf_counter() - started
    return info


def bench_env(config: str, prefix: str) -> dict | None:
    """The environment of a benchmark's server and seeding: a fresh SQLite file in a temporary
    folder, or BENCH_DATABASE_URL for PostgreSQL (None if unset)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"sqlite:///{tmp / 'bench.sqlite3'}" if config == "sqlite" else os.environ.get("BENCH_DATABASE_URL")
    if not url:
        print("set BENCH_DATABASE_URL to a throwaway PostgreSQL database", file=sys.stderr)
        return None
    return {**os.environ, "IIOM_CONFIG": "development", "DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40,
            "UPLOAD_FOLDER": str(tmp / "uploads"), "CERT_SIGNING_KEY_FILE": str(tmp / "key.pem"), "BENCH_TMP": str(tmp)}


def prepare(env: dict, candidates: int) -> dict:
    """Migrate and seed in a child process (the app's own code): N candidates, an exam, a certificate."""
    code = seed_code(candidates, "b", "压测") + """
    from accounts import demo as people
    from certificates import demo as issued, services as certificates
    from certificates.models import Certificate
    people.load(db.session)
    issued.load(db.session)
    token = certificates.token(db.session.scalars(select(Certificate)).first())
    db.session.commit()
    print(json.dumps({"exam": exam.public_id, "verify": token}))
"""
    return run_seed(env, code)


def serve(env: dict, port: int, workers: int, threads: int, connections: int,
          server: str = "granian", target: str = "app:create_app") -> subprocess.Popen:
    """The app served with production's settings, quiet: granian through deploy/serve.py (what
    `make serve-prod` runs), granian's plain WSGI interface, or gunicorn (deploy/gunicorn.conf.py),
    with the same workers and threads.
    With no proxy in front, every candidate holds a connection of its own to a worker. `target`
    replaces the app (bench/hello.py's, for the ceilings)."""
    # The production launchers serve production only (they refuse anything else). The one difference
    # from production: cookies not marked Secure, since the candidates speak plain HTTP on loopback
    # and a Secure cookie would never come back.
    env = {**env, "IIOM_CONFIG": "production", "SESSION_COOKIE_SECURE": "false", "REMEMBER_COOKIE_SECURE": "false",
           "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": str(workers), "WEB_THREADS": str(threads),
           "WEB_CONNECTIONS": str(connections), "WEB_ACCESS_LOG": "0", "BASE_URL": f"http://127.0.0.1:{port}"}
    bin_dir = Path(sys.executable).parent
    if server == "granian":
        command = [sys.executable, str(ROOT / "deploy" / "serve.py"), "--wsgi-app", target]
    elif server == "granian-wsgi":  # granian's own WSGI interface: the body read on the app's thread
        command = [str(bin_dir / "granian"), "--interface", "wsgi", "--factory", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", str(workers), "--blocking-threads", str(threads),
                   "--backlog", "4096", "--no-ws", "--log-level", "warning", "--no-access-log", target]
    else:
        command = [str(bin_dir / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
                   "--access-logfile", "/dev/null", "--log-level", "warning", f"{target}()"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


# --- candidates ------------------------------------------------------------------------------


class Candidate:
    def __init__(self, base: str, username: str) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=False)
        self.username = username
        self.token = ""
        self.attempt_url = ""
        self.config: dict = {}
        self.items: list[tuple[int, str, list[str]]] = []
        self.acked: dict[int, tuple[int, object]] = {}

    async def sign_in(self, stats: Stats) -> bool:
        page = await timed(stats, "GET /login", self.client.get("/login"))
        if page is None:
            return False
        self.token = CSRF.search(page.text).group(1)
        response = await timed(stats, "POST /login", self.client.post(
            "/login", data={"username": self.username, "password": PASSWORD, "csrf_token": self.token}))
        return response is not None and response.status_code == 302

    async def start(self, stats: Stats, exam: str) -> bool:
        response = await timed(stats, "POST start", self.client.post(
            f"/exam/{exam}/start", data={"csrf_token": self.token}))
        if response is None or response.status_code != 302 or "/attempts/" not in response.headers["location"]:
            return False
        self.attempt_url = response.headers["location"]
        return True

    async def open_page(self, stats: Stats) -> bool:
        page = await timed(stats, "GET attempt page", self.client.get(self.attempt_url))
        if page is None or page.status_code != 200:
            return False
        self.config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page.text, re.S).group(1))
        self.token = CSRF.search(page.text).group(1)
        for item, kind, body in re.findall(r'data-item="(\d+)" data-type="(\w+)"(.*?)</section>', page.text, re.S):
            keys = re.findall(r'name="q\d+" value="([^"]+)"', body)
            self.items.append((int(item), kind, keys))
        return True

    def answer(self, kind: str, keys: list[str]):
        if kind == "single":
            return random.choice(keys)
        if kind == "multiple":
            return sorted(random.sample(keys, 2))
        if kind == "true_false":
            return random.random() < 0.5
        return ["x"]

    async def save(self, stats: Stats, item: int, response, seq: int, name: str = "POST save") -> bool:
        result = await timed(stats, name, self.client.post(
            self.config["save_url"], json={"saves": [{"item": item, "response": response, "seq": seq}]},
            headers={"X-CSRFToken": self.token, "Accept": "application/json"}))
        if result is not None and result.status_code == 200:
            for ack in result.json()["acks"]:
                self.acked[ack["item"]] = (ack["seq"], response)
            return True
        return False

    async def submit(self, stats: Stats) -> bool:
        response = await timed(stats, "POST submit", self.client.post(
            self.config["save_url"].replace("/answers", "/submit"), data={"csrf_token": self.token}))
        return response is not None and response.status_code == 302


async def closed_loop(seconds: float, clients: int, make_request) -> tuple[int, float]:
    """`clients` loops calling make_request() for `seconds`; returns (requests done, wall time)."""
    done = 0
    stop = time.perf_counter() + seconds

    async def loop(n):
        nonlocal done
        while time.perf_counter() < stop:
            await make_request(n)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(loop(n) for n in range(clients)))
    return done, time.perf_counter() - start


async def bounded(limit: int, coros) -> list:
    """Run coroutines with at most `limit` in flight (candidates arriving over a few minutes)."""
    gate = asyncio.Semaphore(limit)

    async def one(coro):
        async with gate:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def within(seconds: float, coro):
    """Start `coro` at a random moment within the next `seconds` (a storm, not a queue)."""
    await asyncio.sleep(random.uniform(0, seconds))
    return await coro


async def run(base: str, exam: str, verify: str, candidates: int, concurrency: int, seconds: float, think: float,
              answers: int, rounds: int) -> dict:
    report: dict = {"phases": {}}

    def phase(name: str, stats: Stats, wall: float) -> None:
        report["phases"][name] = (stats, wall)

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        async def ping(stats: Stats):
            await timed(stats, "GET /ping", client.get("/ping"))

        async def check(stats: Stats):
            await timed(stats, "GET verify page", client.get(f"/verify/{verify}"))

        # Sign-in happens as candidates arrive: bounded concurrency, measured but not a storm.
        people = [Candidate(base, f"b{n:05d}") for n in range(candidates)]
        stats, t0 = Stats(), time.perf_counter()
        signed = await bounded(concurrency, (p.sign_in(stats) for p in people))
        phase("sign-in (as candidates arrive)", stats, time.perf_counter() - t0)
        report["signed_in"] = sum(signed)

        # The start storm: everyone presses Start within one second.
        stats, t0 = Stats(), time.perf_counter()
        started = await asyncio.gather(*(within(1.0, p.start(stats, exam)) for p in people))
        phase("start storm (all press Start within 1 s)", stats, time.perf_counter() - t0)
        report["started"] = sum(started)
        live = [p for p, ok in zip(people, started, strict=True) if ok]
        stats, t0 = Stats(), time.perf_counter()
        await bounded(concurrency, (p.open_page(stats) for p in live))
        phase("answering page loads", stats, time.perf_counter() - t0)
        live = [p for p in live if p.config]

        # The ratios: the bare endpoint, autosave at saturation (`concurrency` candidates re-saving an
        # answer as fast as they can) and the verify page, each for `seconds`, in `rounds` rounds
        # taken in turn so that a slow moment of the machine hits all three; medians are reported.
        hammerers = live[:concurrency]
        seqs: dict[int, int] = defaultdict(lambda: 1000)
        rates: dict[str, list[float]] = defaultdict(list)
        measured = {"ping": Stats(), "save": Stats(), "verify": Stats()}

        async def hammer(n):
            p = hammerers[n % len(hammerers)]
            item, kind, keys = p.items[0]
            seqs[n] += 1
            await p.save(measured["save"], item, p.answer(kind, keys), seqs[n], name="POST save (saturation)")

        walls: dict[str, float] = defaultdict(float)
        for _round in range(rounds):
            for name, request in (("ping", lambda _n: ping(measured["ping"])), ("save", hammer),
                                  ("verify", lambda _n: check(measured["verify"]))):
                done, wall = await closed_loop(seconds, len(hammerers), request)
                rates[name].append(done / wall)
                walls[name] += wall
        report["rates"] = dict(rates)
        for name, title in (("ping", "bare endpoint"), ("save", "autosave saturation"), ("verify", "verify page")):
            phase(f"{title} ({rounds} rounds)", measured[name], walls[name])

        # Everyone answers with think time, autosaving every answer.
        stats, t0 = Stats(), time.perf_counter()

        async def take(p: Candidate):
            seq = 2000
            for item, kind, keys in p.items[:answers]:
                await asyncio.sleep(random.uniform(0.2, 1.8) * think)
                seq += 1
                await p.save(stats, item, p.answer(kind, keys), seq)

        await asyncio.gather(*(take(p) for p in live))
        phase("answering (think time, autosave)", stats, time.perf_counter() - t0)

        # The deadline storm: everyone submits within five seconds.
        stats, t0 = Stats(), time.perf_counter()
        report["storm_started"] = t0
        submitted = await asyncio.gather(*(within(5.0, p.submit(stats)) for p in live))
        phase("deadline storm (all submit within 5 s)", stats, time.perf_counter() - t0)
        report["submitted"] = sum(submitted)

    report["acked"] = {p.config.get("attempt"): {item: seq for item, (seq, _v) in p.acked.items()}
                       for p in people if p.config}
    for p in people:
        await p.client.aclose()
    return report


def wait_for_grading(url: str, since: float, limit: float) -> float | None:
    """Seconds from the deadline storm's start until no submitted attempt is left ungraded (the
    scheduler's grading job does it), or None after `limit` seconds."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        while time.perf_counter() - since < limit:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM attempts WHERE status <> 'in_progress' "
                                         "AND score IS NULL")).scalar()
            if left == 0:
                return time.perf_counter() - since
            time.sleep(0.5)
        return None
    finally:
        engine.dispose()


def check_database(env: dict, acked: dict) -> dict:
    """Every acknowledged save is stored (its sequence or a later one), every attempt graded."""
    code = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
from sqlalchemy import select
from app import create_app
from core.audit import AuditLog
from core.extensions import db
from exam.models import Answer, Attempt
acked = json.loads(sys.stdin.read())
app = create_app()
with app.app_context():
    lost = 0
    checked = 0
    ungraded = 0
    submits = {{}}
    for target in db.session.scalars(select(AuditLog.object_id).where(AuditLog.action == "exam.submit")):
        submits[target] = submits.get(target, 0) + 1
    doubled = sum(1 for n in submits.values() if n > 1)
    open_attempts = 0
    for attempt in db.session.scalars(select(Attempt)):
        open_attempts += attempt.open
        stored = {{a.item_id: a.seq for a in attempt.answers}}
        for item, seq in acked.get(attempt.public_id, {{}}).items():
            checked += 1
            if stored.get(int(item), 0) < seq:
                lost += 1
        if attempt.score is None:
            ungraded += 1
    print(json.dumps({{"checked": checked, "lost": lost, "ungraded": ungraded, "doubled": doubled,
                      "open": open_attempts}}))
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, input=json.dumps(acked), text=True,
                         capture_output=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(stats: Stats, wall: float) -> str:
    lines = ["| endpoint | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, n, err, rps, p50, p95, p99 in stats.rows(wall):
        lines.append(f"| {name} | {n} | {err} | {rps:.1f} | {p50:.1f} | {p95:.1f} | {p99:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32, help="clients in the closed-loop phases")
    parser.add_argument("--seconds", type=float, default=8, help="length of each closed-loop phase")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the ratio measurements (medians)")
    parser.add_argument("--think", type=float, default=0.3, help="think-time scale (1.0 ≈ one second a question)")
    parser.add_argument("--answers", type=int, default=1000, help="questions each candidate answers (default all)")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: 1 on SQLite, 4 on PG)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--server", choices=["granian", "granian-wsgi", "gunicorn"], default="granian")
    parser.add_argument("--out", default="", help="report name in bench/results/ (default exam-load-CONFIG.md)")
    args = parser.parse_args()
    workers = args.workers or (1 if args.config == "sqlite" else 4)
    env = bench_env(args.config, "iiom-bench-")
    if env is None:
        return 2
    url = env["DATABASE_URL"]
    info = prepare(env, args.candidates)
    port = free_port()
    server = serve(env, port, workers, threads=args.threads, connections=args.candidates + 2 * args.concurrency,
                   server=args.server)
    # As in production: the scheduler process beside the web workers (the grading job, the sweep).
    jobs = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler", "run"], env=env, cwd=ROOT,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        report = asyncio.run(run(f"http://127.0.0.1:{port}", info["exam"], info["verify"], args.candidates,
                                 args.concurrency, args.seconds, args.think, args.answers, args.rounds))
        report["graded_after"] = wait_for_grading(url, report["storm_started"], limit=120)
    finally:
        for process in (server, jobs):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    checks = check_database(env, report["acked"])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    phases = report["phases"]
    errors = sum(sum(stats.errors.values()) for stats, _wall in phases.values())
    kinds: dict[str, int] = defaultdict(int)
    for stats, _wall in phases.values():
        for kind, n in stats.kinds.items():
            kinds[kind] += n
    failures = ", ".join(f"{kind} × {n}" for kind, n in sorted(kinds.items())) or "none"

    def pct(name: str, endpoint: str, q: int) -> float:
        stats, _wall = phases[name]
        times = stats.times.get(endpoint) or [0.0]
        return (statistics.quantiles(times, n=100)[q - 1] if len(times) > 1 else times[0]) * 1000

    rates = report["rates"]

    def med(name: str) -> float:
        return statistics.median(rates[name])

    def ratio(name: str) -> str:
        each = [x / ping for x, ping in zip(rates[name], rates["ping"], strict=True)]
        return f"{statistics.median(each):.2f} ({min(each):.2f}–{max(each):.2f})"

    graded = "not within 120 s" if report["graded_after"] is None else f"{report['graded_after']:.1f} s"
    start_p95 = pct("start storm (all press Start within 1 s)", "POST start", 95)
    submit_p99 = pct("deadline storm (all submit within 5 s)", "POST submit", 99)
    sections = "\n".join(f"### {name} ({wall:.1f} s)\n\n{table(stats, wall)}\n"
                         for name, (stats, wall) in phases.items())
    text = f"""# Exam-hall load: {args.config}, {args.server}, {workers} worker(s) × {args.threads} threads, \
{args.candidates} candidates

{stamp} · {os.cpu_count()} CPU(s), the load generator on the same machine · think scale {args.think} ·
{min(args.answers, 40)} answers each · `{' '.join(sys.argv[1:])}`

| figure | value |
|---|---|
| bare endpoint (GET /ping), {args.concurrency} clients, median of {args.rounds} | {med('ping'):.0f} req/s |
| autosave, {args.concurrency} clients, full stack, median | {med('save'):.0f} req/s |
| **autosave ratio to the bare endpoint**, median (range) of {args.rounds} rounds | **{ratio('save')}** |
| verify page, {args.concurrency} clients, median | {med('verify'):.0f} req/s |
| **verify ratio to the bare endpoint**, median (range) | **{ratio('verify')}** |
| signed in / started / submitted | {report['signed_in']} / {report['started']} / {report['submitted']} |
| start storm: p95 of POST start | {start_p95:.0f} ms |
| deadline storm: p99 of POST submit | {submit_p99:.0f} ms |
| failed requests (5xx or no answer), all phases | **{errors}** ({failures}) |
| acknowledged saves checked / lost | {checks['checked']} / **{checks['lost']}** |
| attempts submitted twice / left open / not graded | {checks['doubled']} / {checks['open']} / {checks['ungraded']} |
| all submitted attempts graded, seconds after the deadline storm began | {graded} |
| seeding (migrate, bank, {args.candidates} accounts, papers) | {info['seed_seconds']:.1f} s |

Submitting closes the attempt; the scheduler's `exam.grade_submitted` job grades (every 5 s).

## Phases

{sections}"""
    name = args.out or f"exam-load-{args.config}.md"
    out = ROOT / "bench" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if checks["lost"] == 0 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
