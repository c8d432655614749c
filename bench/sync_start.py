"""The synchronized start storm: N candidates wait in their halls' waiting rooms, every hall starts
at the same second, and every candidate asks for its hall's paper key at that second.

    python bench/sync_start.py --config sqlite --candidates 3000
    python bench/sync_start.py --config postgres --candidates 3000   (needs BENCH_DATABASE_URL)

1. Seeding (the app's own services, in a child process): N candidates seated 60 to a hall, every
   hall's start at the same moment, and each candidate's attempt made in the waiting room, as
   entering it does (services.start_attempt).
2. A sample of candidates sign in over HTTP and open their waiting room: the page must hold the
   sealed paper and no question in clear, and its key address must be the hall's.
3. The storm: at the start every candidate opens a new connection and asks for its hall's key (a
   request that comes early by this machine's clock gets 425 and the wait, and asks again, as the
   page does). Measured at each candidate: the time from the start to the key, p50/p95/p99 and
   the slowest; failed requests; the server's CPU (every gunicorn process, from /proc) and the
   load generator's own CPU, over the storm.
4. The sample opens the paper with the key it got (AES-GCM, as the page's WebCrypto does), and
   its first save is acknowledged.
The load generator is plain asyncio streams on uvloop, in two processes forked before the start:
one prepared request per candidate, no HTTP library on the hot path, so that it is not what limits
the figures (its CPU is in the report; it shares the machine's two cores with the server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.exam_load import Candidate, Stats, bench_env, free_port, run_seed, seed_code, serve  # noqa: E402

SEAT_ROW = 60  # candidates a hall
FRESH_NOTE = ("Every candidate opens a new connection at the start (no keep-alive from the waiting room): "
              "the worst case.")
KEEP_ALIVE_NOTE = ("Every candidate's connection was open before the start (kept alive from the waiting room's last "
                   "request, or held by a proxy in front).")


def sample_names(candidates: int, sample: int) -> list[str]:
    return [f"s{n * (candidates // sample):05d}" for n in range(sample)]


def prepare(env: dict, candidates: int, lead: float, sample: list[str]) -> dict:
    code = seed_code(candidates, "s", "统一开考压测") + f"""
    hall_list = []
    for start in range(0, len(users), {SEAT_ROW}):
        hall = halls.add_hall(db.session, exam=exam, name=f"第{{start // {SEAT_ROW} + 1}}考场", room="",
                              seats={SEAT_ROW}, actor=None)
        halls.seat(db.session, hall=hall, usernames=[u.username for u in users[start:start + {SEAT_ROW}]], actor=None)
        hall_list.append(hall)
    db.session.commit()
    starts = clock.now() + timedelta(minutes=20)  # moved to the real start below, once all wait
    for hall in hall_list:
        halls.set_start(db.session, hall=hall, starts_at=starts, actor=None, now=clock.now())
    db.session.commit()
    for n, user in enumerate(users):  # each enters the waiting room: the attempt is made now
        if user.username in {sample!r}:
            continue  # these enter over HTTP, as a browser does
        services.start_attempt(db.session, exam=exam, user=user, now=clock.now(), access_code="",
                               device_token=secrets.token_urlsafe(24))
        if n % 500 == 499:
            db.session.commit()
    db.session.commit()
    starts = clock.now() + timedelta(seconds={lead})
    starts = starts.replace(microsecond=0) + timedelta(seconds=1)
    for hall in hall_list:
        halls.set_start(db.session, hall=hall, starts_at=starts, actor=None, now=clock.now())
    db.session.commit()
    secret = app.config["SECRET_KEY"]
    keys = {{h.public_id: h.paper_key for h in hall_list}}
    urls = [f"/exam/halls/{{h.public_id}}/key?t={{seal.key_token(secret, h.public_id)}}" for h in hall_list]
    print(json.dumps({{"exam": exam.public_id, "starts": starts.timestamp(), "urls": urls, "keys": keys}}))
"""
    return run_seed(env, code)


def cpu_seconds(root: int) -> float:
    """User + system CPU of `root` and its children (the server and its workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in [root, *children(root)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def children(pid: int) -> list[int]:
    try:
        kids = [int(k) for k in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in children(k)]


async def ask(port: int, path: str, starts: float, results: list, failures: dict, keep_alive: bool) -> None:
    """One candidate at the start: GET the hall's key, again after a 425's wait. On a connection
    opened at the start (the worst case), or on one already open from the waiting room's last
    request (keep-alive)."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
               f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()
    connection = None
    if keep_alive:
        await asyncio.sleep(max(0.0, starts - 3 - time.time()) * random.random())
        connection = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(max(0.0, starts - time.time()))
    deadline = starts + 30
    while time.time() < deadline:
        try:
            reader, writer = connection or await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            if connection:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                data = head + await asyncio.wait_for(reader.readexactly(length), timeout=30)
            else:
                data = await asyncio.wait_for(reader.read(), timeout=30)
                writer.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
            connection = None
            await asyncio.sleep(0.2)
            continue
        status = int(data[9:12]) if data[:5] == b"HTTP/" else 0
        if status == 200 and (b'"key"' in data or os.environ.get("STORM_PATH")):
            results.append(time.time() - starts)
            break
        if status == 425:
            wait = re.search(rb'"starts_in_ms":\s*(\d+)', data)
            await asyncio.sleep(int(wait.group(1)) / 1000 if wait else 0.05)
            continue
        failures[f"HTTP {status}"] = failures.get(f"HTTP {status}", 0) + 1
        break
    else:
        failures["no key within 30 s"] = failures.get("no key within 30 s", 0) + 1
    if connection:
        connection[1].close()


async def sample_waiting_rooms(base: str, exam: str, usernames: list[str], stats: Stats) -> list[Candidate]:
    """Candidates who sign in over HTTP and open their waiting room, as a browser does."""
    people = [Candidate(base, name) for name in usernames]
    for person in people:
        assert await person.sign_in(stats), f"{person.username} could not sign in"
        assert await person.start(stats, exam), f"{person.username} could not enter the waiting room"
        page = await person.client.get(person.attempt_url)
        assert page.status_code == 200 and 'data-testid="waiting-room"' in page.text, page.text[:500]
        assert "exam-q" not in page.text, "a question in clear in the waiting room"
        person.config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page.text, re.S).group(1))
        person.sealed = json.loads(re.search(r'id="exam-sealed">(.*?)</script>', page.text, re.S).group(1))
        person.token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
    return people


def _loop_runner():
    try:  # the load generator on libuv's loop where installed (the bench extra): half the CPU
        import uvloop

        return uvloop.run
    except ImportError:
        return asyncio.run


def generator(port: int, paths: list[str], starts: float, keep_alive: bool, queue) -> None:
    """One load-generator process: its share of the candidates, each asking at the start."""
    async def storm():
        results: list[float] = []
        failures: dict[str, int] = {}
        await asyncio.gather(*(ask(port, path, starts, results, failures, keep_alive) for path in paths))
        return results, failures

    results, failures = _loop_runner()(storm())
    queue.put((results, failures, time.process_time()))


def spawn_generators(port: int, info: dict, candidates: int, processes: int, keep_alive: bool):
    """Fork the load generators before any event loop runs; they wait for the start."""
    import multiprocessing

    urls = info["urls"]
    if os.environ.get("STORM_PATH"):  # a yardstick: the same storm on another path
        urls = [os.environ["STORM_PATH"]] * len(urls)
    paths = [urls[n // SEAT_ROW] for n in range(candidates)]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=generator, args=(port, paths[i::processes], info["starts"], keep_alive, queue))
               for i in range(processes)]
    for worker in workers:
        worker.start()
    return workers, queue


async def run(port: int, info: dict, candidates: int, sample: int, generators) -> dict:
    from exam import seal

    base = f"http://127.0.0.1:{port}"
    stats = Stats()
    names = sample_names(candidates, sample)
    people = await sample_waiting_rooms(base, info["exam"], names, stats)
    if time.time() > info["starts"] - 2:
        raise RuntimeError("the start came before the candidates were ready: raise --lead")
    workers, queue = generators
    await asyncio.sleep(max(0.0, info["starts"] - time.time() - 0.5))
    server_cpu, wall = cpu_seconds(info["server_pid"]), time.perf_counter()
    loop = asyncio.get_running_loop()
    results: list[float] = []
    failures: dict[str, int] = {}
    own_cpu = 0.0
    for _worker in workers:
        part, failed, cpu = await loop.run_in_executor(None, queue.get)
        results += part
        own_cpu += cpu
        for kind, n in failed.items():
            failures[kind] = failures.get(kind, 0) + n
    storm = {"wall": time.perf_counter() - wall, "server_cpu": cpu_seconds(info["server_pid"]) - server_cpu,
             "own_cpu": own_cpu}
    # The sample opens its paper with the hall's key and saves a first answer.
    opened = saved = 0
    for person in people:
        key_url = person.config["key_url"]
        response = await person.client.get(key_url)
        hall = key_url.split("/")[3]
        assert response.status_code == 200 and response.json()["key"] == info["keys"][hall]
        paper = seal.unseal(person.sealed, response.json()["key"], bound_to=person.config["attempt"])
        opened += "exam-q" in paper
        item = int(re.search(r'data-item="(\d+)"', paper).group(1))
        answer = await person.client.post(person.config["save_url"], json={"saves": [
            {"item": item, "response": None, "flagged": True, "seq": 1}]},
            headers={"X-CSRFToken": person.token, "Accept": "application/json"})
        saved += answer.status_code == 200 and bool(answer.json()["acks"])
        await person.client.aclose()
    return {"results": results, "failures": failures, "storm": storm, "opened": opened, "saved": saved,
            "sample": len(people), "stats": stats}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20, help="candidates who sign in and open the waiting room")
    parser.add_argument("--lead", type=float, default=25, help="seconds from seeding to the start")
    parser.add_argument("--workers", type=int, default=0, help="server workers (default 2: one a core)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--server", choices=["granian", "granian-wsgi", "gunicorn"], default="granian")
    parser.add_argument("--generators", type=int, default=2, help="load-generator processes")
    parser.add_argument("--keep-alive", action="store_true",
                        help="candidates' connections already open at the start (else each opens one then)")
    parser.add_argument("--out", default="", help="report name in bench/results/")
    args = parser.parse_args()
    workers = args.workers or 2  # the key needs no database: one worker a core
    env = bench_env(args.config, "iiom-bench-")
    if env is None:
        return 2
    port = free_port()
    # The seeding's last step sets the start `lead` seconds ahead: the server must be up by then.
    sample = min(args.sample, args.candidates)
    info = prepare(env, args.candidates, args.lead, sample_names(args.candidates, sample))
    server = serve(env, port, workers, threads=args.threads, connections=args.candidates + 100, server=args.server)
    info["server_pid"] = server.pid
    try:
        generators = spawn_generators(port, info, args.candidates, args.generators, args.keep_alive)
        report = _loop_runner()(run(port, info, args.candidates, sample, generators))
        for worker in generators[0]:
            worker.join(timeout=30)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    times = sorted(report["results"])
    q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
    failed = sum(report["failures"].values())
    kinds = ", ".join(f"{k} × {n}" for k, n in sorted(report["failures"].items())) or "none"
    storm = report["storm"]

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.0f}"

    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = f"""# Synchronized start: {args.config}, {args.server}, {workers} worker(s) × {args.threads} threads, \
{args.candidates} candidates

{stamp} · {os.cpu_count()} CPU(s), the load generator on the same machine · \
{len(info['urls'])} halls of up to {SEAT_ROW} · `{' '.join(sys.argv[1:])}`

| figure | value |
|---|---|
| candidates in the waiting room / got the key | {args.candidates} / {len(times)} |
| **time from the start to the key**, p50 / p95 / p99 | **{ms(q[49])} / {ms(q[94])} / {ms(q[98])} ms** |
| slowest | {times[-1] * 1000:.0f} ms |
| failed requests | **{failed}** ({kinds}) |
| server CPU during the storm (every server process) | {storm['server_cpu']:.2f} s in {storm['wall']:.2f} s |
| load generator's own CPU ({args.generators} processes, all their run) | {storm['own_cpu']:.2f} s |
| sample: signed in and opened the waiting room / opened the paper with the key / first save acknowledged | \
{report['sample']} / {report['opened']} / {report['saved']} |
| seeding (migrate, bank, accounts, halls, attempts in the waiting room) | {info['seed_seconds']:.1f} s |

{KEEP_ALIVE_NOTE if args.keep_alive else FRESH_NOTE}
The key request needs no session and writes nothing; each process reads a hall's start
and key from the database at most once a second.
"""
    mode = "-keepalive" if args.keep_alive else ""
    name = args.out or f"sync-start-{args.config}-{args.server}-{args.candidates}{mode}.md"
    out = ROOT / "bench" / "results" / name
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if failed == 0 and len(times) == args.candidates else 1


if __name__ == "__main__":
    sys.exit(main())
