"""The hot paths measured with wrk (a C load generator, not the bottleneck), under each server in
one run: the platform's GET /ping, autosave, the clock poll and the verify page, against a Flask "hello" app under
the same server, and what the Python client (httpx) reaches on that hello app: both generators'
ceilings. Medians of R rounds. Writes bench/results/wrk-CONFIG.md.

    python bench/wrk_ratios.py --config sqlite
    BENCH_DATABASE_URL=postgresql+psycopg://… python bench/wrk_ratios.py --config postgres --workers 4

Autosave: K signed-in candidates, each with its attempt; wrk's Lua script sends each request as
the next candidate's save with a fresh sequence number (the candidates are split between wrk's
threads, so no two threads share a sequence), with the session cookie and the CSRF header: the
full stack, every request applied and acknowledged. SQLite's durability (SQLITE_SYNCHRONOUS) is
measured both ways on the first server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.exam_load import CSRF, PASSWORD, bench_env, closed_loop, free_port, prepare, serve  # noqa: E402

TARGETS = {"autosave": 0.25, "verify": 0.5, "ping": 0.8}
LUA = """
local candidates = %s
local mine, n = {}, 0
function init(args)
  for i, c in ipairs(candidates) do
    if (i - 1) %% %d == tid then c.seq = 0; table.insert(mine, c) end
  end
end
function request()
  n = n + 1
  local c = mine[(n %% #mine) + 1]
  c.seq = c.seq + 1
  local item = c.items[(c.seq %% #c.items) + 1]
  local body = '{"saves":[{"item":' .. item .. ',"response":' .. ((c.seq %% 2 == 0) and 'true' or 'false') ..
               ',"seq":' .. c.seq .. '}]}'
  return wrk.format("POST", c.path, {["Content-Type"] = "application/json", ["Accept"] = "application/json",
                                     ["X-CSRFToken"] = c.csrf, ["Cookie"] = c.cookie}, body)
end
"""
CLOCK_LUA = """
local candidates = %s
local n = 0
function request()
  n = n + 1
  local c = candidates[(n %% #candidates) + 1]
  return wrk.format("GET", c.clock, {["Accept"] = "application/json", ["Cookie"] = c.cookie})
end
"""
SETUP = """
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
"""


def lua_table(candidates: list[dict]) -> str:
    rows = []
    for c in candidates:
        items = ",".join(str(i) for i in c["items"])
        rows.append(f'{{path="{c["path"]}", clock="{c["clock"]}", cookie="{c["cookie"]}", csrf="{c["csrf"]}", '
                    f'items={{{items}}}}}')
    return "{" + ",\n".join(rows) + "}"


def wrk(url: str, seconds: float, connections: int, threads: int, script: Path | None = None) -> dict:
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {"rate": rate, "bad": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
            "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else 0.0}


def sign_in(base: str, exam: str, usernames: list[str]) -> list[dict]:
    """Candidates signed in with their attempt started: what the Lua script needs of each."""
    out = []
    for name in usernames:
        client = httpx.Client(base_url=base, timeout=30)
        token = CSRF.search(client.get("/login").text).group(1)
        signed = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        assert signed.status_code == 302, f"{name} could not sign in"
        started = client.post(f"/exam/{exam}/start", data={"csrf_token": token})
        page = client.get(started.headers["location"]).text
        config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page, re.S).group(1))
        items = [int(i) for i in re.findall(r'data-item="(\d+)" data-type="true_false"', page)]
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        out.append({"path": config["save_url"], "clock": config["clock_url"], "cookie": cookie,
                    "csrf": CSRF.search(page).group(1), "items": items})
        client.close()
    return out


async def python_ceiling(base: str, seconds: float, clients: int) -> float:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        async def one(_n):
            await client.get("/ping")

        done, wall = await closed_loop(seconds, clients, one)
    return done / wall


def measure(args, env: dict, info: dict, server: str, candidates: list[str], tmp: Path, *,
            synchronous: str = "FULL", hello: bool = True) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = serve({**env, "SQLITE_SYNCHRONOUS": synchronous}, port, args.workers, args.threads,
                    connections=args.connections + 50, server=server)
    try:
        people = sign_in(base, info["exam"], candidates)
        script = tmp / f"save-{server}-{synchronous}.lua"
        script.write_text(SETUP + LUA % (lua_table(people), args.wrk_threads))
        clock = tmp / f"clock-{server}-{synchronous}.lua"
        clock.write_text(CLOCK_LUA % lua_table(people))
        rounds = {"ping": [], "autosave": [], "clock": [], "verify": []}
        bad = 0
        for _ in range(args.rounds):
            for name, url, lua in (("ping", f"{base}/ping", None), ("autosave", base, script),
                                   ("clock", base, clock), ("verify", f"{base}/verify/{info['verify']}", None)):
                result = wrk(url, args.seconds, args.connections, args.wrk_threads, lua)
                rounds[name].append(result["rate"])
                bad += result["bad"] + result["socket_errors"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    figures = {name: statistics.median(rates) for name, rates in rounds.items()}
    figures["ratios"] = {name: statistics.median([x / p for x, p in zip(rounds[name], rounds["ping"], strict=True)])
                         for name in ("autosave", "clock", "verify")}
    figures["bad"] = bad
    figures["rounds"] = rounds
    if hello:
        port = free_port()
        process = serve(env, port, args.workers, args.threads, connections=args.connections + 50, server=server,
                        target="bench.hello:create_app")
        try:
            figures["hello_wrk"] = statistics.median(
                wrk(f"http://127.0.0.1:{port}/ping", args.seconds, args.connections, args.wrk_threads)["rate"]
                for _ in range(args.rounds))
            figures["hello_python"] = asyncio.run(python_ceiling(f"http://127.0.0.1:{port}", args.seconds,
                                                                 args.connections))
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        figures["ratios"]["ping"] = figures["ping"] / figures["hello_wrk"]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--servers", default="gunicorn,granian")
    parser.add_argument("--workers", type=int, default=0, help="server workers (default: 1 on SQLite, 4 on PG)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--candidates", type=int, default=32, help="signed-in candidates the saves rotate over")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    args.workers = args.workers or (1 if args.config == "sqlite" else 4)
    env = bench_env(args.config, "iiom-wrk-")
    if env is None:
        return 2
    tmp = Path(env["BENCH_TMP"])
    servers = args.servers.split(",")
    # Each server run signs in its own candidates (a started attempt belongs to one browser).
    info = prepare(env, args.candidates * (len(servers) + 1))
    names = [f"b{n:05d}" for n in range(args.candidates * (len(servers) + 1))]
    results = {}
    for n, server in enumerate(servers):
        results[server] = measure(args, env, info, server, names[n * args.candidates:(n + 1) * args.candidates], tmp)
    durability = None
    if args.config == "sqlite":
        durability = measure(args, env, info, servers[0], names[-args.candidates:], tmp, synchronous="NORMAL",
                             hello=False)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Hot paths by wrk: {args.config}, {args.workers} worker(s) × {args.threads} threads", "",
             f"{stamp} · {os.cpu_count()} CPU(s), wrk on the same machine ({args.wrk_threads} threads, "
             f"{args.connections} connections, {args.seconds:g} s a measurement, medians of {args.rounds} rounds) · "
             f"`{' '.join(sys.argv[1:])}`", "",
             "| figure | " + " | ".join(servers) + " | target |", "|---|" + "---:|" * len(servers) + "---|"]

    def row(label, value, target=""):
        lines.append(f"| {label} | " + " | ".join(value(results[s]) for s in servers) + f" | {target} |")

    row("ceiling: Flask hello app, wrk", lambda r: f"{r['hello_wrk']:.0f} req/s")
    row("ceiling: Flask hello app, Python client (httpx)", lambda r: f"{r['hello_python']:.0f} req/s")
    row("GET /ping (the platform)", lambda r: f"{r['ping']:.0f} req/s")
    row("**/ping ÷ hello**", lambda r: f"**{r['ratios']['ping']:.2f}**", "≥ 0.8")
    row("autosave (full stack, every save applied)", lambda r: f"{r['autosave']:.0f} req/s", "≥ 600 req/s")
    row("**autosave ÷ /ping**", lambda r: f"**{r['ratios']['autosave']:.2f}**", "≥ 0.25")
    row("clock poll (signed in, the gate passed)", lambda r: f"{r['clock']:.0f} req/s")
    row("**clock ÷ /ping**", lambda r: f"**{r['ratios']['clock']:.2f}**")
    row("verify page", lambda r: f"{r['verify']:.0f} req/s")
    row("**verify ÷ /ping**", lambda r: f"**{r['ratios']['verify']:.2f}**", "≥ 0.5")
    row("non-2xx/3xx answers and socket errors, all rounds", lambda r: str(r["bad"]), "0")
    if durability:
        full = results[servers[0]]["autosave"]
        lines += ["", f"SQLite durability ({servers[0]}): autosave {full:.0f} req/s with synchronous=FULL (the "
                  f"default: an acknowledged save survives a power cut), {durability['autosave']:.0f} req/s with "
                  f"NORMAL: FULL costs {100 * (1 - full / durability['autosave']):.0f} %."]
    lines += ["", "Rounds (req/s):", ""]
    for server in servers:
        for name, rates in results[server]["rounds"].items():
            lines.append(f"- {server} {name}: {', '.join(f'{r:.0f}' for r in rates)}")
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / (args.out or f"wrk-{args.config}.md")
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(r["bad"] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
