"""Site-wide routes that belong to no package: health, language switch, the audit log, the
working-day calendar."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core import clock, health, nav, notify, workcalendar, workdays
from core.access import authenticated, public, roles
from core.audit import AuditLog
from core.excel import xlsx_response
from core.extensions import db
from core.forms import FIRST_YEAR, LAST_YEAR, AuditFilterForm, BaseForm, WorkdayOverrideForm
from core.i18n import LOCALE_COOKIE, format_dt, local_to_utc, utc_to_local
from core.web import commit_service, local_path, page_arg

bp = Blueprint("core", __name__)

nav.add("core.audit_log", _l("Audit log"), order=90, group="system")
nav.add("core.working_days", _l("Working days"), order=92, group="system")

ADMIN = "admin"


@bp.route("/healthz")
@public
def healthz():
    ok, detail = health.database_ok()
    body = {
        "status": "ok" if ok else "unavailable",
        "database": detail,
        "version": current_app.config["VERSION"],
    }
    return jsonify(body), 200 if ok else 503


@bp.route("/ping")
@public
def ping():
    """A trivial route: the benchmark's yardstick for the cost of the real endpoints."""
    return "ok"


@bp.route("/language", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    target = local_path(request.form.get("next")) or url_for("accounts.home")
    response = make_response(redirect(target))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(LOCALE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
        if current_user.is_authenticated and current_user.locale != lang:
            current_user.locale = lang
            db.session.commit()
    return response


def _local_day_start(day) -> datetime:
    return local_to_utc(datetime.combine(day, time.min))


@bp.route("/admin/audit")
@roles(ADMIN)
def audit_log():
    filters = AuditFilterForm(request.args)
    query = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc())
    if filters.validate():
        if filters.q.data:
            like = f"%{filters.q.data}%"
            query = query.where(or_(AuditLog.object_label.ilike(like),
                                    AuditLog.object_id.ilike(like),
                                    AuditLog.comment.ilike(like)))
        if filters.actor.data:
            query = query.where(AuditLog.actor_name.ilike(f"%{filters.actor.data}%"))
        if filters.action.data:
            query = query.where(AuditLog.action.ilike(f"{filters.action.data}%"))
        if filters.object_type.data:
            query = query.where(AuditLog.object_type == filters.object_type.data)
        if filters.date_from.data:
            query = query.where(AuditLog.at >= _local_day_start(filters.date_from.data))
        if filters.date_to.data:
            query = query.where(AuditLog.at < _local_day_start(filters.date_to.data + timedelta(days=1)))
    if request.args.get("format") == "xlsx":
        headers = [_("Time"), _("User"), _("Role"), _("Action"), _("Object"), _("Changes"),
                   _("Comment"), _("Address")]
        rows = (
            (format_dt(e.at, "full"), e.actor_name, e.actor_role, e.action,
             f"{e.object_type} {e.object_label}".strip(),
             "; ".join(f"{k}: {b} → {a}" for k, b, a in e.changes()), e.comment, e.address)
            for e in db.session.scalars(query.limit(50_000))
        )
        return xlsx_response("audit-log.xlsx", _("Audit log"), headers, rows)
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    object_types = db.session.scalars(
        select(AuditLog.object_type).distinct().where(AuditLog.object_type != "")
        .order_by(AuditLog.object_type)
    ).all()
    return render_template("core/audit_log.html", page=page, filters=filters,
                           object_types=object_types)


# --- the working-day calendar ------------------------------------------------------------------


def _year_arg(default: int) -> int:
    """The `year` query argument, within the years a date may have (never an error)."""
    try:
        year = int(request.args.get("year", default))
    except (TypeError, ValueError):
        return default
    return year if FIRST_YEAR <= year <= LAST_YEAR else default


@bp.route("/admin/working-days", methods=["GET", "POST"])
@roles(ADMIN)
def working_days():
    """The official calendar's holidays and make-up working days of a year as the library knows
    them, and the administrator's overrides: what publicity periods are counted with."""
    this_year = utc_to_local(clock.now()).year
    form = WorkdayOverrideForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            ok, override = commit_service(form, workcalendar.add_override, day=form.day.data,
                                          working=form.working.data == "1", note=form.note.data or "",
                                          actor=current_user, now=clock.now())
            if ok:
                flash(_("Override saved: %(day)s.", day=override.day.isoformat()), "success")
                return redirect(url_for("core.working_days", year=override.day.year))
        status = 400  # the page again, with the field's error and what was typed
    year = _year_arg(form.day.data.year if status == 400 and form.day.data else this_year)
    years = [workcalendar.year(db.session, y) for y in sorted({this_year, this_year + 1, year})]
    shown = next(y for y in years if y.year == year)
    return render_template("core/working_days.html", form=form, years=years, shown=shown,
                           remove_form=BaseForm(), official=workdays.official_years()), status


@bp.route("/admin/working-days/<int:override_id>/remove", methods=["POST"])
@roles(ADMIN)
def remove_working_day(override_id: int):
    override = db.get_or_404(workcalendar.WorkdayOverride, override_id)
    year = override.day.year
    if BaseForm().validate_on_submit():
        workcalendar.remove_override(db.session, override=override, actor=current_user)
        db.session.commit()
        flash(_("Override removed."), "success")
    return redirect(url_for("core.working_days", year=year))


# --- the inbox ---------------------------------------------------------------------------------


def inbox_unread() -> int:
    """The bell's count for the signed-in user (one statement; 0 for anonymous pages)."""
    if not current_user.is_authenticated:
        return 0
    return notify.unread_count(db.session, current_user.id)


@bp.route("/inbox")
@authenticated
def inbox():
    return render_template("core/inbox.html", notes=notify.inbox(db.session, current_user.id), wiped=notify.WIPED)


@bp.route("/inbox/<int:note_id>", methods=["POST"])
@authenticated
def inbox_open(note_id: int):
    """Mark one notification read and go where its work is (only ever a path on this platform)."""
    note = db.session.get(notify.Notification, note_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    notify.mark_read(db.session, user_id=current_user.id, note_id=note.id, now=clock.now())
    db.session.commit()
    return redirect(local_path(note.link) or url_for("core.inbox"))


@bp.route("/inbox/read", methods=["POST"])
@authenticated
def inbox_read_all():
    notify.mark_read(db.session, user_id=current_user.id, now=clock.now())
    db.session.commit()
    return redirect(url_for("core.inbox"))
