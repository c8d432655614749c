"""Faults a real exam hall meets, against a real server process: the server killed (SIGKILL) in
the middle of the exam or of a burst of saves, and the database stopped under it. After each,
every acknowledged answer is in the database and the deadline has not moved."""

import glob
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Restart-pass-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, CSRF token from the page, JSON posts."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = ""

    def get(self, path):
        with self.opener.open(self.base + path, timeout=10) as r:
            body = r.read().decode()
            match = re.search(r'<meta name="csrf-token" content="([^"]+)"', body)
            if match:
                self.token = match.group(1)
            return r.geturl(), body

    def post_form(self, path, data):
        data = urllib.parse.urlencode({**data, "csrf_token": self.token}).encode()
        with self.opener.open(urllib.request.Request(self.base + path, data=data), timeout=10) as r:
            return r.geturl(), r.read().decode()

    def post_json(self, path, payload):
        request = urllib.request.Request(self.base + path, data=json.dumps(payload).encode(), headers={
            "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": self.token})
        with self.opener.open(request, timeout=10) as r:
            return json.loads(r.read())


def serve(env, port, production=False):
    """The development server, or production's (deploy/serve.py, as `make serve-prod` runs it:
    granian, 2 workers x 2 threads here), in its own process group. Production's settings but for
    cookies not marked Secure, since the test speaks plain HTTP."""
    command = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)]
    if production:
        command = [sys.executable, str(ROOT / "deploy" / "serve.py")]
        env = {**env, "IIOM_CONFIG": "production", "SESSION_COOKIE_SECURE": "false",
               "REMEMBER_COOKIE_SECURE": "false", "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "2",
               "WEB_THREADS": "2", "WEB_ACCESS_LOG": "0", "BASE_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2).close()
            return process
        except OSError:  # refused, reset or timed out: not up yet
            time.sleep(0.1)
    kill(process)
    pytest.fail("the server did not start")


def kill(process):
    os.killpg(process.pid, signal.SIGKILL)  # no clean shutdown, workers included
    process.wait(timeout=10)


def demo_site(tmp_path, url=None):
    env = {**os.environ, "IIOM_CONFIG": "development",
           "DATABASE_URL": url or f"sqlite:///{tmp_path / 'exam.sqlite3'}",
           "SECRET_KEY": "restart-test-secret-" + "x" * 32, "UPLOAD_FOLDER": str(tmp_path / "uploads"),
           "CERT_SIGNING_KEY_FILE": str(tmp_path / "cert-signing.pem"),
           "DEMO_PASSWORD": PASSWORD}
    for command in (["core", "create-db"], ["core", "load-demo"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    return env


def start_exam(base, username):
    """Sign in and start the demo exam; returns the browser, the attempt's URL, its config and items."""
    browser = Browser(base)
    browser.get("/login")
    browser.post_form("/login", {"username": username, "password": PASSWORD})
    _, page = browser.get("/exam/")
    start = re.search(r'action="(/exam/[^"]+/start)"', page).group(1)
    url, page = browser.post_form(start, {})
    config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page, re.S).group(1))
    items = [int(i) for i in re.findall(r'data-item="(\d+)" data-type="true_false"', page)]
    return browser, url[len(base):], config, items


def stored_answers(browser, path):
    _, page = browser.get(path)
    return json.loads(re.search(r'id="exam-config">(.*?)</script>', page, re.S).group(1))


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_a_killed_server_loses_no_acknowledged_answer(tmp_path):
    env = demo_site(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(env, port)
    try:
        browser = Browser(base)
        browser.get("/login")
        browser.post_form("/login", {"username": "cand03", "password": PASSWORD})
        _, page = browser.get("/exam/")
        start = re.search(r'action="(/exam/[^"]+/start)"', page).group(1)
        url, page = browser.post_form(start, {})
        config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page, re.S).group(1))
        items = [int(i) for i in re.findall(r'data-item="(\d+)" data-type="true_false"', page)][:5]
        saves = [{"item": item, "response": n % 2 == 0, "seq": 1, "flagged": n == 0} for n, item in enumerate(items)]
        body = browser.post_json(config["save_url"], {"saves": saves})
        assert len(body["acks"]) == 5
        deadline = body["deadline"]
    finally:
        kill(server)

    server = serve(env, port)
    try:
        _, page = browser.get(url[len(base):])  # the same browser session, after the restart
        config = json.loads(re.search(r'id="exam-config">(.*?)</script>', page, re.S).group(1))
        assert config["deadline"] == deadline
        stored = config["answers"]
        for n, item in enumerate(items):
            assert stored[str(item)] == {"response": n % 2 == 0, "flagged": n == 0, "seq": 1}
        status = browser.opener.open(base + config["clock_url"], timeout=10)
        clock = json.loads(status.read())
        assert clock["deadline"] == deadline and 3500 < clock["remaining"] <= 3600
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_killed_in_a_burst_of_saves_every_acknowledged_save_survives(tmp_path):
    """Three candidates save as fast as they can against production's server (2 workers x 2 threads); the whole
    process group is killed while requests are in flight. Whatever was acknowledged is stored."""
    env = demo_site(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(env, port, production=True)
    candidates = [start_exam(base, name) for name in ("cand01", "cand02", "cand03")]
    acked = [{} for _ in candidates]  # item -> (seq, response) of the newest acknowledgement
    stop = threading.Event()

    def hammer(n):
        browser, _path, config, items = candidates[n]
        seq = 0
        while not stop.is_set():
            seq += 1
            item = items[seq % len(items)]
            try:
                body = browser.post_json(config["save_url"], {"saves": [
                    {"item": item, "response": seq % 3 == 0, "seq": seq}]})
            except (OSError, urllib.error.URLError, http.client.HTTPException):
                continue  # the server is gone, or died mid-reply: this save was never acknowledged
            for ack in body["acks"]:
                acked[n][ack["item"]] = (ack["seq"], seq % 3 == 0)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(len(candidates))]
    for thread in threads:
        thread.start()
    time.sleep(2.5)
    kill(server)
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert all(len(a) >= 5 for a in acked), "the burst acknowledged too little to prove anything"

    server = serve(env, port, production=True)
    try:
        for (browser, path, config, _items), mine in zip(candidates, acked, strict=True):
            after = stored_answers(browser, path)
            assert after["deadline"] == config["deadline"]  # the clock did not move
            for item, (seq, response) in mine.items():
                stored = after["answers"][str(item)]
                assert stored["seq"] >= seq, (item, stored, seq)
                if stored["seq"] == seq:
                    assert stored["response"] == response
    finally:
        kill(server)


def _postgres_binaries():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class Cluster:
    """A throwaway PostgreSQL cluster on loopback that the test may stop and start at will."""

    def __init__(self, bindir: Path, root: Path):
        self.bindir, self.root, self.port = bindir, root, free_port()
        self.data = root / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:  # PostgreSQL refuses to run as root
            shutil.chown(root, "postgres")
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def run(self, tool, *args):
        command = [str(self.bindir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self):
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start", "-o",
                 f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off")

    def stop(self):
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def url(self):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.mark.postgres
@pytest.mark.skipif(_postgres_binaries() is None, reason="needs the PostgreSQL server binaries")
def test_a_database_outage_fails_saves_visibly_and_loses_nothing_acknowledged(tmp_path):
    root = Path(tempfile.mkdtemp(prefix="iiom-pg-"))
    cluster = Cluster(_postgres_binaries(), root)
    cluster.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = None
    try:
        env = demo_site(tmp_path, cluster.url)
        server = serve(env, port, production=True)
        browser, path, config, items = start_exam(base, "cand01")
        first = browser.post_json(config["save_url"], {"saves": [
            {"item": item, "response": True, "seq": 1} for item in items[:3]]})
        assert len(first["acks"]) == 3

        cluster.stop()  # the database goes away mid-exam
        pending = {"saves": [{"item": item, "response": False, "seq": 2} for item in items[:5]]}
        with pytest.raises(urllib.error.HTTPError) as refused:
            browser.post_json(config["save_url"], pending)
        assert refused.value.code == 503
        body = json.loads(refused.value.read())
        assert "数据库" in body["message"] and "acks" not in body  # said plainly, nothing acknowledged

        cluster.start()
        for _attempt in range(20):  # the page re-sends what it kept until the server takes it
            try:
                again = browser.post_json(config["save_url"], pending)
                break
            except urllib.error.HTTPError as exc:
                assert exc.code == 503
                time.sleep(0.5)
        else:
            pytest.fail("saves were still refused after the database came back")
        assert sorted(a["item"] for a in again["acks"]) == sorted(items[:5])
        after = stored_answers(browser, path)
        assert after["deadline"] == config["deadline"]
        for item in items[:5]:
            assert after["answers"][str(item)]["response"] is False and after["answers"][str(item)]["seq"] == 2
    finally:
        if server is not None:
            kill(server)
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(root, ignore_errors=True)
