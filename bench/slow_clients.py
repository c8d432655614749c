"""Slow clients against the production server: autosave's latency with and without connections that
trickle their requests, a byte or a header line a second (a hall's Wi-Fi, or an attacker).

    python bench/slow_clients.py --config sqlite|postgres [--servers granian,gunicorn] [--slow 50]

For each server, a fresh database: N candidates sign in and open their paper, then save an answer
every --think seconds each for --seconds (phase "normal"); then --slow connections open, half sending
a POST's body one byte a second (Content-Length 4096), half sending its header lines one a second,
and the same saving runs again while they trickle (phase "slow"). The target (issue 14): autosave's
p95 under slow clients within 2x of normal, under the production serving command (deploy/serve.py).
The report goes to bench/results/slow-clients-<config>.md; the slow connections' fate (closed by the
server, and when) is reported too."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from exam_load import Candidate, Stats, bench_env, free_port, prepare, serve  # noqa: E402


async def trickle(port: int, path: str, mode: str, until: float, fate: list, auth: str) -> None:
    """One slow connection: a POST whose body (mode "body") or header lines (mode "headers") arrive
    a byte or a line a second, until `until` or until the server closes the connection. It carries
    a signed-in candidate's cookie and CSRF token (`auth`), so the app accepts it and reads the body:
    a candidate on very bad Wi-Fi, the worst case for a server that hands the body to a thread."""
    opened = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        fate.append((mode, "refused", 0.0))
        return
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{auth}"
    try:
        if mode == "body":
            writer.write((head + "Content-Length: 4096\r\n\r\n").encode())
        else:
            writer.write(head.encode())
        await writer.drain()
        n = 0
        while time.perf_counter() < until:
            await asyncio.sleep(1)
            writer.write(b"{" if mode == "body" else f"X-Slow-{n}: {n}\r\n".encode())
            await writer.drain()
            n += 1
            if reader.at_eof():
                raise ConnectionResetError
        fate.append((mode, "open at the end", time.perf_counter() - opened))
    except (ConnectionError, OSError):
        fate.append((mode, "closed by the server", time.perf_counter() - opened))
    finally:
        writer.close()


async def saving(candidates: list[Candidate], seconds: float, think: float, stats: Stats) -> None:
    stop = time.perf_counter() + seconds

    async def one(c: Candidate, offset: float):
        await asyncio.sleep(offset)
        seq = 1000 + int(time.time() * 10) % 100000  # fresh sequence numbers each phase
        while time.perf_counter() < stop:
            item, kind, keys = c.items[seq % len(c.items)]
            seq += 1
            await c.save(stats, item, c.answer(kind, keys), seq)
            await asyncio.sleep(think)

    await asyncio.gather(*(one(c, think * n / len(candidates)) for n, c in enumerate(candidates)))


def summary(stats: Stats, name: str = "POST save") -> dict:
    times = sorted(stats.times.get(name, []))
    if len(times) < 2:
        return {"n": len(times), "failed": stats.errors.get(name, 0)}
    q = statistics.quantiles(times, n=100)
    return {"n": len(times), "failed": stats.errors.get(name, 0), "p50": q[49] * 1000, "p95": q[94] * 1000,
            "p99": q[98] * 1000, "max": times[-1] * 1000}


async def measure(port: int, info: dict, names: list[str], args) -> dict:
    base = f"http://127.0.0.1:{port}"
    candidates = [Candidate(base, name) for name in names]
    setup = Stats()
    for c in candidates:
        if not (await c.sign_in(setup) and await c.start(setup, info["exam"]) and await c.open_page(setup)):
            raise RuntimeError("a candidate could not open the paper")
    normal = Stats()
    await saving(candidates, args.seconds, args.think, normal)
    save_path = candidates[0].config["save_url"]
    cookie = "; ".join(f"{k}={v}" for k, v in candidates[0].client.cookies.items())
    auth = f"Cookie: {cookie}\r\nX-CSRFToken: {candidates[0].token}\r\nAccept: application/json\r\n"
    fate: list = []
    until = time.perf_counter() + args.seconds + 5
    slow = [asyncio.create_task(trickle(port, save_path, "body" if n % 2 == 0 else "headers", until, fate, auth))
            for n in range(args.slow)]
    await asyncio.sleep(3)  # every slow connection has sent its first bytes
    under = Stats()
    await saving(candidates, args.seconds, args.think, under)
    await asyncio.gather(*slow)
    for c in candidates:
        await c.client.aclose()
    return {"normal": summary(normal), "slow": summary(under), "fate": fate}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--servers", default="granian,gunicorn")
    parser.add_argument("--candidates", type=int, default=40)
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between a candidate's saves")
    parser.add_argument("--workers", type=int, default=None, help="1 on SQLite, 4 on PostgreSQL")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    workers = args.workers or (1 if args.config == "sqlite" else 4)
    results = {}
    servers = args.servers.split(",")
    env = bench_env(args.config, "iiom-slow-")
    if env is None:
        return 2
    # One database; each server's run signs in candidates of its own (an attempt belongs to one browser).
    info = prepare(env, args.candidates * len(servers))
    for n, server in enumerate(servers):
        port = free_port()
        process = serve(env, port, workers, args.threads, connections=args.candidates + args.slow + 50, server=server)
        try:
            names = [f"b{k:05d}" for k in range(n * args.candidates, (n + 1) * args.candidates)]
            results[server] = asyncio.run(measure(port, info, names, args))
        finally:
            process.terminate()
            process.wait(30)
        print(server, results[server]["normal"], results[server]["slow"], flush=True)

    def ms(d: dict, key: str) -> str:
        return f"{d[key]:,.0f}" if key in d else "—"

    lines = [
        f"# Slow clients: autosave with and without {args.slow} trickling connections ({args.config})", "",
        f"{args.candidates} candidates each save an answer every {args.think} s for {args.seconds:.0f} s; "
        f"then {args.slow} connections open against the save URL, half sending a POST body one byte a "
        "second, half sending header lines one a second, and the same saving runs while they trickle. "
        f"{workers} worker(s) x {args.threads} threads; the server as production runs it "
        "(granian through deploy/serve.py; gunicorn through deploy/gunicorn.conf.py, for comparison). "
        "Target: p95 under slow clients within 2x of normal.", "",
        "| server | phase | saves | failed | p50 ms | p95 ms | p99 ms | max ms | p95 ratio | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for server, r in results.items():
        for phase in ("normal", "slow"):
            d = r[phase]
            normal = r["normal"].get("p95")
            ratio = r["slow"].get("p95", 0) / normal if phase == "slow" and normal else None
            lines.append(f"| {server} | {phase} | {d['n']} | {d['failed']} | {ms(d, 'p50')} | {ms(d, 'p95')} | "
                         f"{ms(d, 'p99')} | {ms(d, 'max')} | {f'{ratio:.2f}' if ratio else ''} | "
                         f"{('met' if ratio <= 2 else 'not met') if ratio else ''} |")
    lines += ["", "What became of the slow connections:", ""]
    for server, r in results.items():
        kinds: dict = {}
        for mode, kind, seconds in r["fate"]:
            kinds.setdefault(f"slow {mode}: {kind}", []).append(seconds)
        parts = [f"{len(v)} {k} (after {min(v):.0f}–{max(v):.0f} s)" for k, v in sorted(kinds.items())]
        lines.append(f"- {server}: " + "; ".join(parts))
    out = ROOT / "bench" / "results" / f"slow-clients-{args.config}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
