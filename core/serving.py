"""The WSGI app served through granian's RSGI interface, with each request's body read before a
Python thread is given the request (`make serve-prod`, deploy/serve.py).

Why: under a WSGI server the thread that runs the app also reads the request body, so a client that
sends its body a byte a second holds a thread for as long as it likes; with the two threads a
worker runs, two such clients stop every autosave of a SQLite deployment (bench/slow_clients.py
measured p95 23 ms -> 17 s under granian's WSGI interface and gunicorn alike). A hall's Wi-Fi makes
such clients without anyone attacking. Here the body is read on the worker's event loop, where a
slow client costs a coroutine, and the app runs on a small pool of threads only once the request is
whole. This is what nginx's request buffering does, kept inside the one process we ship.

- Bodies up to SPOOL_BYTES stay in memory; larger ones (the teaching video) spool to a temporary
  file. A body larger than the largest any view accepts is not read: the app answers 413 itself.
- A body must keep arriving: WEB_BODY_TIMEOUT seconds (60) without a byte ends the request with
  408 (a small body has that plus a second a kilobyte in all).
- The response: a body the app returns as a list (what Flask returns for a rendered page or JSON)
  is sent in one piece; an iterator (a file, an export) is pulled on the pool and streamed in
  chunks of at least STREAM_BYTES.
- The environ is PEP 3333's, built from the RSGI scope (tests/core/test_serving.py compares it
  with werkzeug's own server)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

SPOOL_BYTES = 1024 * 1024
STREAM_BYTES = 64 * 1024
BODY_IDLE_SECONDS = 60.0
_NO_BODY = BytesIO(b"")


class _Response:
    """start_response: the status and headers, kept until the bridge sends them (PEP 3333: an
    error may replace them until then, and is raised once they are sent)."""

    __slots__ = ("status", "headers", "sent")

    def __init__(self) -> None:
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.sent = False

    def __call__(self, status: str, headers, exc_info=None):
        if exc_info and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        self.headers = list(headers)
        return _no_write


def _no_write(_data: bytes) -> None:
    raise RuntimeError("the write() callable of start_response is not supported")


class BufferedWSGI:
    """An RSGI app (granian's `__rsgi__` protocol) running a WSGI app on a thread pool, each
    request's body read in full first."""

    def __init__(self, wsgi_app, *, threads: int = 2, max_body: int | None = None,
                 body_idle_seconds: float = BODY_IDLE_SECONDS, script_name: str = "") -> None:
        self.wsgi_app = wsgi_app
        self.body_idle_seconds = body_idle_seconds
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.max_body = max_body
        self.base = {
            "SCRIPT_NAME": script_name, "SERVER_SOFTWARE": "granian (RSGI, buffered)",
            "wsgi.version": (1, 0), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.input_terminated": True,
        }

    # --- the request ----------------------------------------------------------------------------

    async def __rsgi__(self, scope, proto) -> None:
        if scope.proto != "http":
            return
        headers = scope.headers
        length = headers.get("content-length")
        chunked = "chunked" in (headers.get("transfer-encoding") or "").lower()
        try:
            declared = int(length) if length is not None else None
        except ValueError:
            proto.response_bytes(400, [("content-type", "text/plain")], b"Bad Content-Length\n")
            return
        body, size = _NO_BODY, 0
        if (declared or chunked) and not (self.max_body and declared and declared > self.max_body):
            try:
                body, size = await self._read_body(proto, declared)
            except TimeoutError:
                proto.response_bytes(408, [("content-type", "text/plain"), ("connection", "close")],
                                     b"Request Timeout\n")
                return
            except Exception:  # the client went away mid-body (RSGIProtocolClosed and kin)
                return
        environ = self._environ(scope, headers, body, size if chunked and declared is None else declared)
        try:
            await self._respond(proto, environ)
        finally:
            if body is not _NO_BODY:
                body.close()

    async def _respond(self, proto, environ: dict) -> None:
        loop = asyncio.get_running_loop()
        status, out_headers, first, rest = await loop.run_in_executor(self.pool, self._call, environ)
        if rest is None:
            proto.response_bytes(status, out_headers, first)
            return
        try:
            transport = proto.response_stream(status, out_headers)
            if first:
                await transport.send_bytes(first)
            while True:
                chunk = await loop.run_in_executor(self.pool, _pull, rest)
                if not chunk:
                    break
                await transport.send_bytes(chunk)
        except Exception:  # the client went away mid-response
            pass
        finally:
            await loop.run_in_executor(self.pool, rest.close)

    async def _read_body(self, proto, declared: int | None):
        if declared is not None and declared <= SPOOL_BYTES:
            data = await asyncio.wait_for(proto(), self.body_idle_seconds + declared / 1024)
            return BytesIO(data), len(data)
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        size = 0
        chunks = proto.__aiter__()
        while True:
            try:
                chunk = await asyncio.wait_for(chunks.__anext__(), self.body_idle_seconds)
            except StopAsyncIteration:
                break
            size += len(chunk)
            if self.max_body and size > self.max_body:
                break  # the app sees a length over its limit and answers 413
            spool.write(chunk)  # memory or a local temporary file: no wait worth a thread
        spool.seek(0)
        return spool, size

    def _environ(self, scope, headers, body, length: int | None) -> dict:
        host, _, port = scope.server.rpartition(":")
        client, _, client_port = scope.client.rpartition(":")
        path = scope.path
        environ = {
            **self.base,
            "REQUEST_METHOD": scope.method,
            "PATH_INFO": path.encode("utf-8", "surrogateescape").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": host.strip("[]"), "SERVER_PORT": port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": client.strip("[]"), "REMOTE_PORT": client_port,
            "wsgi.url_scheme": scope.scheme, "wsgi.input": body,
        }
        for name, value in headers.items():
            name = name.lower()
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name == "content-length":
                continue
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
                if key in environ:
                    value = environ[key] + ("; " if key == "HTTP_COOKIE" else ", ") + value
                environ[key] = value
        if length is not None:
            environ["CONTENT_LENGTH"] = str(length)
        if scope.http_version.startswith("2") and "HTTP_HOST" not in environ and scope.authority:
            environ["HTTP_HOST"] = scope.authority
        return environ

    # --- on the pool ------------------------------------------------------------------------------

    def _call(self, environ: dict):
        """Run the app; returns (status, headers, body) when it answered with a list, else
        (status, headers, first chunk, the iterator to pull the rest from)."""
        start = _Response()
        result = self.wsgi_app(environ, start)
        if isinstance(result, (list, tuple)):
            return start.status, start.headers, b"".join(result), None
        iterator = iter(result)
        try:
            first = _pull(iterator)
        except BaseException:
            _close(result)
            raise
        if len(first) < STREAM_BYTES:  # exhausted: the whole body is in hand
            _close(result)
            return start.status, start.headers, first, None
        start.sent = True  # the rest streams after the headers go out
        return start.status, start.headers, first, _Closing(iterator, result)

    def __rsgi_del__(self, _loop) -> None:
        self.pool.shutdown(wait=True)


class _Closing:
    """The rest of a streamed response: its iterator, and the app's iterable to close at the end."""

    def __init__(self, iterator, result) -> None:
        self.iterator, self.result = iterator, result

    def __iter__(self):
        return self.iterator

    def close(self) -> None:
        _close(self.result)


def _pull(iterator) -> bytes:
    """At least STREAM_BYTES of the response, or what is left of it (b"" at the end)."""
    parts, size = [], 0
    for part in iterator:
        if part:
            parts.append(part)
            size += len(part)
            if size >= STREAM_BYTES:
                break
    return b"".join(parts)


def _close(result) -> None:
    close = getattr(result, "close", None)
    if close:
        close()


def create_rsgi_app():
    """granian's factory in production (deploy/serve.py): the WSGI app made by the factory named in
    WSGI_APP ("app:create_app", the platform; the bench names its hello app) as a buffered RSGI app.
    The largest body read is the largest any view accepts (MAX_CONTENT_LENGTH or a per-view
    *_MAX_BYTES with its form's other fields)."""
    import importlib

    module, _, name = os.environ.get("WSGI_APP", "app:create_app").partition(":")
    app = getattr(importlib.import_module(module), name)()
    config = getattr(app, "config", {})
    largest = max([config.get("MAX_CONTENT_LENGTH") or 0]
                  + [v + 1024 * 1024 for k, v in config.items() if k.endswith("_MAX_BYTES") and isinstance(v, int)])
    return BufferedWSGI(app, threads=int(os.environ.get("WEB_THREADS", "2")), max_body=largest or None,
                        body_idle_seconds=float(os.environ.get("WEB_BODY_TIMEOUT", BODY_IDLE_SECONDS)))
