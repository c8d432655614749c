"""A Flask "hello" app: the ceiling any Flask app reaches under a server, which the platform's own
GET /ping is measured against (bench/wrk_ratios.py)."""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/ping")
    def ping():
        return "ok"

    return app
