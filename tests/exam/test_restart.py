"""Kill the server process mid-exam (SIGKILL, against a SQLite file) and start it again: every
acknowledged answer is there, and the deadline has not moved."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
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


def serve(env, port):
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
            return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    process.kill()
    pytest.fail("the server did not start")


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_a_killed_server_loses_no_acknowledged_answer(tmp_path):
    env = {**os.environ, "IIOM_CONFIG": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'exam.sqlite3'}",
           "SECRET_KEY": "restart-test-secret", "UPLOAD_FOLDER": str(tmp_path / "uploads"),
           "DEMO_PASSWORD": PASSWORD}
    for command in (["core", "create-db"], ["core", "load-demo"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)
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
        server.send_signal(signal.SIGKILL)  # no clean shutdown
        server.wait(timeout=10)

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
