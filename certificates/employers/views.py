"""Employers at scale. The JSON API (public: its key authenticates it), the Excel check for signed-in
employers (and administrators), and the administrator's API keys page."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from accounts.models import Role, User
from certificates.employers import services, sheet
from certificates.employers.forms import CheckForm, IssueKeyForm, KeyActionForm
from certificates.employers.models import ApiKey, RatePeriod
from core import clock, home, nav, uploads
from core.access import public, roles
from core.errors import DomainError, Throttled
from core.excel import XLSX_MIME, xlsx_response
from core.extensions import csrf, db
from core.forms import text_problem
from core.http import personal
from core.i18n import format_dt
from core.web import commit_service, page_arg, show_error

bp = Blueprint("employers", __name__)

nav.add("employers.check", _l("Check certificates"), order=85, group="system")
nav.add("employers.api_keys", _l("API keys"), order=86, group="system")

PARAM_MAX = 40  # a certificate number and a holder's name are at most this long
PREVIEW_ROWS = 500  # rows listed on the result page (the workbook has them all)


def key_authenticated(view):
    """Mark a public view whose requests authenticate with an API key (the role matrix expects 401
    without one, whoever is signed in)."""
    view.api_key_required = True
    return view


# --- the JSON API --------------------------------------------------------------------------------


def _api_locale() -> str:
    """The language of the answer: ?lang=, else the Accept-Language header, else the default."""
    supported = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in supported:
        return asked
    best = request.accept_languages.best_match(["zh", "en"])
    return "en" if best == "en" and "en" in supported else current_app.config["BABEL_DEFAULT_LOCALE"]


def _json(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error(status: int, code: str, message, headers: dict | None = None) -> Response:
    return _json({"error": code, "message": str(message)}, status, headers)


def _secret() -> str | None:
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-API-Key", "").strip() or None


@bp.route("/api/v1/certificates/verify", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@public
@personal
@key_authenticated
@csrf.exempt  # every method but GET is answered 405 (as JSON) before anything is read
def api_verify():
    with force_locale(_api_locale()):
        if request.method not in ("GET", "HEAD"):
            return _error(405, "method_not_allowed", _("Only GET is accepted here."), {"Allow": "GET, HEAD"})
        try:
            return _api_verify()
        except OperationalError:
            db.session.rollback()
            return _error(503, "unavailable", _("The database is briefly unavailable. Please try again in a "
                                                "moment."), {"Retry-After": "2"})


def _api_verify() -> Response:
    now, address = clock.now(), request.remote_addr or ""
    try:
        key = services.authenticate(db.session, secret=_secret(), address=address, now=now)
    except services.KeyRefused as exc:
        db.session.commit()  # the wrong key's failure, counted per address: nothing else
        return _error(401, exc.code, exc.message, {"WWW-Authenticate": 'Bearer realm="api"'})
    except Throttled as exc:
        db.session.rollback()
        return _error(429, "too_many_failures", exc.message, {"Retry-After": str(exc.retry_after)})
    number, name = request.args.get("number", ""), request.args.get("name", "")
    for field, value in (("number", number), ("name", name)):
        if not value.strip():
            db.session.rollback()
            return _error(400, "missing_parameter", _("Give both the certificate number (number=) and the holder's "
                                                      "name (name=)."))
        if len(value) > PARAM_MAX:
            db.session.rollback()
            return _error(400, "parameter_too_long", _("The %(field)s is longer than %(n)d characters: no "
                                                       "certificate has one.", field=_("certificate number")
                                                       if field == "number" else _("name"), n=PARAM_MAX))
        if text_problem(value):
            db.session.rollback()
            return _error(400, "invalid_parameter", _("Remove the control characters from the number and the name."))
    try:
        answer = services.api_answer(db.session, key=key, number=number, name=name, address=address, now=now)
    except Throttled as exc:
        db.session.rollback()  # nothing counted, nothing logged
        return _error(429, "rate_limited", exc.message, {"Retry-After": str(exc.retry_after)})
    db.session.commit()
    return _json(answer)


@bp.route("/api/v1/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@public
@csrf.exempt
def api_unknown(rest: str):
    with force_locale(_api_locale()):
        return _error(404, "no_such_endpoint", _("There is no such API endpoint: the verification is at "
                                                 "/api/v1/certificates/verify."))


# --- the Excel check -----------------------------------------------------------------------------


def _stash(token: str, suffix: str):
    path = uploads.stash_path(current_user.id, token, f".employer-check{suffix}")
    if path is None:
        abort(404)
    return path


def _keep(result: services.Checked) -> str:
    """Keep a check's workbook and summary for its result page (a day: core.uploads purges them)."""
    token = uploads.new_token()
    _stash(token, ".xlsx").write_bytes(result.workbook)
    _stash(token, ".json").write_text(json.dumps({
        "counts": result.counts, "rows": result.rows[:PREVIEW_ROWS], "total": len(result.rows),
        "header": result.header, "at": clock.now().isoformat()}, ensure_ascii=False), encoding="utf-8")
    return token


@bp.route("/employers/check", methods=["GET", "POST"])
@roles(Role.EMPLOYER, Role.ADMIN)
def check():
    form = CheckForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        data = form.sheet.data.read(current_app.config["EMPLOYER_CHECK_MAX_BYTES"] + 1)
        try:
            result = services.check_sheet(db.session, data=data, user=current_user, address=request.remote_addr or "",
                                          now=clock.now())
        except Throttled as exc:
            db.session.rollback()
            show_error(form, exc)
            status, headers = 429, {"Retry-After": str(exc.retry_after)}
        except DomainError as exc:
            db.session.rollback()  # nothing was logged or counted
            show_error(form, exc)
            status = 400
        else:
            db.session.commit()
            return redirect(url_for("employers.result", token=_keep(result)))
    elif form.is_submitted():
        status = 400
    return render_template("employers/check.html", form=form, max_rows=current_app.config["EMPLOYER_CHECK_MAX_ROWS"],
                           per_day=current_app.config["EMPLOYER_CHECK_ROWS_PER_DAY"],
                           max_mb=current_app.config["EMPLOYER_CHECK_MAX_BYTES"] // (1024 * 1024)), status, headers


@bp.route("/employers/template.xlsx")
@roles(Role.EMPLOYER, Role.ADMIN)
def template():
    return Response(sheet.template(), mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename=certificates-to-check.xlsx"})


@bp.route("/employers/checks/<token>")
@roles(Role.EMPLOYER, Role.ADMIN)
def result(token: str):
    path = _stash(token, ".json")
    if not path.exists():
        abort(404)
    summary = json.loads(path.read_text(encoding="utf-8"))
    return render_template("employers/result.html", summary=summary, token=token, labels=services.status_labels(),
                           statuses=(*services.STATUSES, "not_checked"), at=datetime.fromisoformat(summary["at"]),
                           form=CheckForm(formdata=None))


@bp.route("/employers/checks/<token>.xlsx")
@roles(Role.EMPLOYER, Role.ADMIN)
def result_xlsx(token: str):
    path = _stash(token, ".xlsx")
    if not path.exists():
        abort(404)
    return Response(path.read_bytes(), mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename=certificates-checked.xlsx"})


@home.panel("employers/_home_panel.html", roles=[Role.EMPLOYER], order=10)
def _home_panel(user):
    keys = db.session.scalars(select(ApiKey).where(ApiKey.owner_id == user.id, ApiKey.revoked_at.is_(None))
                              .order_by(ApiKey.issued_at)).all()
    return {"keys": keys, "max_rows": current_app.config["EMPLOYER_CHECK_MAX_ROWS"]}


# --- the administrator's API keys ----------------------------------------------------------------


def _employers() -> list[User]:
    return db.session.scalars(select(User).where(User.role == Role.EMPLOYER, User.active.is_(True))
                              .order_by(User.full_name)).all()


def _demo_hashes() -> dict[str, str]:
    """{hash: secret} of the demo key, whose secret derives from DEMO_PASSWORD (demo data only)."""
    config = current_app.config
    if not (config.get("DEMO_DATA_ALLOWED") and config.get("DEMO_PASSWORD")):
        return {}
    secret = services.demo_secret(config["DEMO_PASSWORD"])
    return {services.digest(secret): secret}


@bp.route("/certificates/admin/api-keys", methods=["GET", "POST"])
@roles(Role.ADMIN)
def api_keys():
    config = current_app.config
    owners = _employers()
    form = IssueKeyForm(owners=owners, data={"rate_limit": config["API_KEY_RATE"],
                                             "rate_period": config["API_KEY_RATE_PERIOD"]})
    if request.method == "POST":
        form = IssueKeyForm(owners=owners)
    shown_secret, status = None, 200
    if form.validate_on_submit():
        owner = next((u for u in owners if u.public_id == form.owner.data), None)
        ok, issued = commit_service(form, services.issue_key, label=form.label.data, owner=owner,
                                    rate_limit=form.rate_limit.data, rate_period=RatePeriod(form.rate_period.data),
                                    actor=current_user, now=clock.now())
        if ok:
            key, shown_secret = issued
            flash(_("Key issued for %(label)s. Copy its secret now: it is shown only this once.", label=key.label),
                  "success")
        else:
            status = 400
    elif form.is_submitted():
        status = 400
    state = request.args.get("state", "active")
    query = select(ApiKey).options(joinedload(ApiKey.owner)).order_by(ApiKey.issued_at.desc(), ApiKey.id.desc())
    if state == "active":
        query = query.where(ApiKey.revoked_at.is_(None))
    elif state == "revoked":
        query = query.where(ApiKey.revoked_at.is_not(None))
    if request.args.get("format") == "xlsx":
        rows = ((k.label, k.prefix + "…", str(k.owner or ""),
                 _("%(n)s requests %(period)s", n=format_number(k.rate_limit), period=k.rate_period.label),
                 format_dt(k.issued_at), format_dt(k.last_used_at), k.use_count, format_dt(k.revoked_at))
                for k in db.session.scalars(query))
        return xlsx_response("api-keys.xlsx", _("API keys"), [_("Organisation"), _("API key"), _("Employer account"),
                             _("Allowance"), _("Key issued"), _("Last used"), _("Requests"), _("Revoked")], rows)
    page = db.paginate(query, page=page_arg(), per_page=config["PAGE_SIZE"], error_out=False)
    return render_template("employers/api_keys.html", form=form, page=page, state=state, shown_secret=shown_secret,
                           demo=_demo_hashes(), action_form=KeyActionForm(),
                           api_url=config["BASE_URL"].rstrip("/") + url_for("employers.api_verify")), status


@bp.route("/certificates/admin/api-keys/<public_id>/revoke", methods=["POST"])
@roles(Role.ADMIN)
def revoke_key(public_id: str):
    key = db.first_or_404(select(ApiKey).filter_by(public_id=public_id))
    form = KeyActionForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.revoke_key, key=key, actor=current_user, now=clock.now())
        if ok:
            flash(_("Key %(key)s revoked: it is refused from now on.", key=str(key)), "success")
    else:
        flash(_("The form has expired. Reload the page and try again; nothing was changed."), "danger")
    return redirect(url_for("employers.api_keys"))
