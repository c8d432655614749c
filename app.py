"""The application factory: the one place that wires everything together."""

from __future__ import annotations

import os
from importlib import metadata

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, Config


def _version() -> str:
    try:
        return metadata.version("iiom-platform")
    except metadata.PackageNotFoundError:
        return "0.0.0+local"


def _settings(config, instance_path: str) -> dict:
    """`config` may be None (IIOM_CONFIG or development), a name, a Config class, or a dict of
    overrides applied on top of the environment's class. A missing secret key is kept under
    `instance_path` (Config.load)."""
    overrides = {}
    if isinstance(config, dict):
        overrides = config
        config = None
    if config is None:
        config = os.environ.get("IIOM_CONFIG", "development")
    cls = CONFIGS[config] if isinstance(config, str) else config
    if not (isinstance(cls, type) and issubclass(cls, Config)):
        raise TypeError(f"unknown configuration {config!r}")
    return cls.load(overrides, instance_path=instance_path)


def create_app(config=None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(_settings(config, app.instance_path))
    app.config["VERSION"] = _version()
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    from exam.startkey import StartKeyMiddleware

    # Outermost: a synchronized start's key requests never reach Flask's dispatch (exam/startkey.py).
    app.wsgi_app = StartKeyMiddleware(app, app.wsgi_app)

    from core import access, audit, demo, http, sqlite, uploads
    from core.extensions import babel, csrf, db, migrate, scheduler
    from core.i18n import LOCALE_NAMES, format_dt, html_lang, select_locale, select_timezone

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sqlite.configure(db.engine, synchronous=app.config["SQLITE_SYNCHRONOUS"])
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"))
    uploads.init_app(app)  # per-view upload limits, before the CSRF check reads a form
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    scheduler.init_app(app)

    import core.audit  # noqa: F401  (the audit model)
    import core.jobruns  # noqa: F401  (scheduled runs' leases)
    import core.notify  # noqa: F401  (the outbox model and its sending job)
    import core.throttle  # noqa: F401  (rate limits shared by every worker)
    import core.workcalendar  # noqa: F401  (the working-day overrides)
    from accounts import demo as accounts_demo
    from accounts import login
    from certificates import demo as certificates_demo
    from certificates import demo_publicity
    from certificates.employers import demo as employers_demo
    from exam import demo as exam_demo
    from exam import demo_released as exam_demo_released
    from question_bank import demo as question_bank_demo
    from registration import demo as registration_demo

    login.init_app(app)
    demo.init_app(app, loaders=[accounts_demo.load, question_bank_demo.load, exam_demo.load,
                                exam_demo_released.load, registration_demo.load, certificates_demo.load,
                                demo_publicity.load, employers_demo.load])

    from accounts.views import bp as accounts_bp
    from certificates.employers.views import bp as employers_bp
    from certificates.share_views import bp as sharing_bp
    from certificates.views import bp as certificates_bp
    from cockpit.views import bp as cockpit_bp
    from core.views import bp as core_bp
    from exam.views import bp as exam_bp
    from question_bank.views import bp as question_bank_bp
    from registration.views import bp as registration_bp
    from scoring.views import bp as scoring_bp

    for blueprint in (core_bp, accounts_bp, registration_bp, question_bank_bp, exam_bp,
                      scoring_bp, certificates_bp, sharing_bp, employers_bp, cockpit_bp):
        app.register_blueprint(blueprint)

    from accounts.cli import cli as accounts_cli
    from certificates.cli import cli as certificates_cli
    from core.cli import cli as core_cli
    from exam.cli import cli as exam_cli
    from question_bank.cli import cli as question_bank_cli

    for group in (core_cli, accounts_cli, question_bank_cli, exam_cli, certificates_cli):
        app.cli.add_command(group)

    http.register(app)
    app.before_request(access.enforce(login_manager=app.login_manager))
    access.check_all_declared(app)

    from core import nav, web
    from core.views import inbox_unread
    from question_bank.wording import qtext

    app.jinja_env.globals.update(
        can_view=access.can_view,
        nav_items=nav.items_for_current_user,
        html_lang=html_lang,
        locale_names=LOCALE_NAMES,
        args_except=web.args_except,
        inbox_unread=inbox_unread,
        qtext=qtext,  # a question's stem, option or explanation in a paper's language (zh, en, both)
    )
    app.jinja_env.filters["dt"] = format_dt
    app.jinja_env.filters["action_label"] = audit.action_label
    return app
