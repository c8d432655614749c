"""Production's server (deploy/serve.py: granian with core/serving.py's buffered RSGI bridge), started
as `make serve-prod` starts it, against an app that echoes what it was given: the environ matches
werkzeug's own server, bodies arrive whole however they come, and a client that trickles its body
holds no thread (issue 14)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import free_port, listening
from tests.core.serving_app import EchoApp

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "deploy" / "serve.py"


_PROCESS: list[subprocess.Popen] = []


def production_process() -> int:
    return _PROCESS[0].pid


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """deploy/serve.py serving the echo app: one worker, ONE thread, a body timeout of 2 s."""
    port = free_port()
    log = (tmp_path_factory.mktemp("serving") / "server.log").open("w+")
    env = {**os.environ, "IIOM_CONFIG": "production", "BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1",
           "WEB_THREADS": "1", "WEB_BODY_TIMEOUT": "2", "WEB_ACCESS_LOG": "0",
           "BASE_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen([sys.executable, str(SERVE), "--wsgi-app", "tests.core.serving_app:create_app"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    if not listening(port):
        process.kill()
        log.seek(0)
        pytest.fail("deploy/serve.py did not start: " + log.read()[-2000:])
    _PROCESS[:] = [process]
    yield port
    process.terminate()
    process.wait(20)
    log.close()


@pytest.fixture(scope="module")
def reference():
    """werkzeug's own server with the same app: what a WSGI environ should hold."""
    server = make_server("127.0.0.1", 0, EchoApp(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def request(port, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def echo(port, *args, **kwargs):
    response, data = request(port, *args, **kwargs)
    assert response.status == 200, data
    seen = json.loads(data)
    seen["HTTP_HOST"] = (seen["HTTP_HOST"] or "").rsplit(":", 1)[0]
    return seen


def test_the_environ_is_what_werkzeugs_own_server_builds(production, reference):
    cases = [
        ("GET", "/%E8%80%83%E5%9C%BA/a%20b?x=1&y=%E4%B8%AD", None, {"Cookie": "session=abc", "X-Custom": "1"}),
        ("POST", "/exam/attempts/x/answers", json.dumps({"saves": [{"item": 1}]}).encode(),
         {"Content-Type": "application/json", "Accept": "application/json"}),
        ("POST", "/form", b"a=1&b=%E4%B8%AD", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("PUT", "/empty", b"", {"Content-Type": "text/plain"}),
    ]
    for method, path, body, headers in cases:
        ours, theirs = echo(production, method, path, body, headers), echo(reference, method, path, body, headers)
        assert ours == theirs, (method, path)
    response, _ = request(production, "GET", "/")
    assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_large_and_chunked_bodies_arrive_whole(production):
    big = os.urandom(3 * 1024 * 1024)  # spooled to a temporary file
    seen = echo(production, "POST", "/upload", big, {"Content-Type": "application/octet-stream"})
    assert seen["length"] == len(big) and seen["sha256"] == hashlib.sha256(big).hexdigest()

    def chunks():
        for n in range(40):
            yield bytes([n]) * 50_000
    conn = http.client.HTTPConnection("127.0.0.1", production, timeout=10)
    conn.request("POST", "/chunked", body=chunks(), encode_chunked=True)
    seen = json.loads(conn.getresponse().read())
    conn.close()
    expected = b"".join(chunks())
    assert seen["length"] == len(expected) and seen["sha256"] == hashlib.sha256(expected).hexdigest()


def test_a_streamed_response_arrives_whole(production):
    response, data = request(production, "GET", "/stream")
    assert response.status == 200 and data == b"".join(bytes([n % 256]) * 1000 for n in range(300))


def test_a_body_over_the_largest_limit_is_not_read(production):
    """The app is called at once with the declared length and no body (Flask answers 413 itself
    from there); the rest of the body is never waited for."""
    with socket.create_connection(("127.0.0.1", production), timeout=10) as conn:
        conn.sendall(b"POST /too-big HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\n\r\n" + b"x" * 1000)
        answer = b""
        while b"}" not in answer:
            part = conn.recv(65536)
            if not part:
                break
            answer += part
    seen = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert seen["CONTENT_LENGTH"] == "5242880" and seen["length"] == 0


def test_a_trickled_body_holds_no_thread(production):
    """With ONE thread, a request still answers while another client sends its body a byte at a
    time; under a WSGI server the thread would be reading that body."""
    slow = socket.create_connection(("127.0.0.1", production))
    slow.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
    stop = threading.Event()

    def trickle():
        while not stop.wait(0.2):
            try:
                slow.sendall(b"x")
            except OSError:
                return
    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)
        for _ in range(5):
            seen = echo(production, "GET", "/while-slow", timeout=5)
            assert seen["PATH_INFO"] == "/while-slow"
    finally:
        stop.set()
        thread.join()
        slow.close()


def test_a_body_that_stops_arriving_gets_408(production):
    conn = socket.create_connection(("127.0.0.1", production), timeout=10)
    conn.sendall(b"POST /stalled HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
    answer = conn.recv(4096)
    conn.close()
    assert answer.startswith(b"HTTP/1.1 408")


def test_a_graceful_restart_answers_every_request(production):
    """SIGHUP (the deployment's graceful restart) starts a new worker and stops the old one after
    its requests: no request in between fails."""
    os.kill(production_process(), signal.SIGHUP)
    deadline = time.monotonic() + 4
    answered = 0
    while time.monotonic() < deadline:
        assert echo(production, "GET", "/during-restart", timeout=10)["PATH_INFO"] == "/during-restart"
        answered += 1
        time.sleep(0.05)
    assert answered > 10


def test_the_launcher_refuses_outside_production():
    env = {k: v for k, v in os.environ.items() if k != "IIOM_CONFIG"}
    refused = subprocess.run([sys.executable, str(SERVE)], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=30)
    assert refused.returncode == 2 and "IIOM_CONFIG=production" in refused.stderr
