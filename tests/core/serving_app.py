"""A WSGI app for tests/core/test_serving.py: it answers with what it was given (the environ's
CGI keys and the body's length and digest), or streams a long body when asked."""

import hashlib
import json

from werkzeug.wsgi import get_input_stream


class EchoApp:
    config = {"MAX_CONTENT_LENGTH": 4 * 1024 * 1024}

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"] == "/stream":
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return (bytes([n % 256]) * 1000 for n in range(300))
        body = get_input_stream(environ, max_content_length=None).read()  # as Flask reads it
        keys = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
                "SERVER_PROTOCOL", "REMOTE_ADDR", "HTTP_HOST", "HTTP_COOKIE", "HTTP_X_CUSTOM", "HTTP_ACCEPT")
        seen = {k: environ.get(k) for k in keys}
        seen.update(scheme=environ["wsgi.url_scheme"], length=len(body), sha256=hashlib.sha256(body).hexdigest())
        start_response("200 OK", [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        return [json.dumps(seen).encode()]


def create_app():
    return EchoApp()
