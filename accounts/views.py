from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select

from accounts import services
from accounts.forms import (
    CentreForm,
    ChangePasswordForm,
    LoginForm,
    ResetPasswordForm,
    UserFilterForm,
    UserForm,
)
from accounts.models import Role, TrainingCentre, User
from core import clock, health, nav
from core import home as home_panels
from core.access import authenticated, public, roles, signed_in_maybe
from core.errors import Throttled
from core.excel import xlsx_response
from core.extensions import db
from core.forms import BaseForm
from core.i18n import format_dt
from core.web import commit_service, local_path, page_arg

bp = Blueprint("accounts", __name__)

nav.add("accounts.home", _l("Home"), order=0)
nav.add("accounts.my_centre", _l("My centre"), order=20)
nav.add("accounts.users", _l("Users"), order=80, group="system")
nav.add("accounts.centres", _l("Training centres"), order=81, group="system")


@bp.route("/")
@authenticated
def home():
    mismatch = health.base_url_mismatch(request.host) if current_user.role is Role.ADMIN else None
    return render_template("accounts/home.html", user=current_user, base_url_host=mismatch,
                           panels=home_panels.panels_for(current_user))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            result = services.authenticate(
                db.session,
                username=form.username.data,
                password=form.password.data,
                address=request.remote_addr or "",
                now=clock.now(),
            )
        except Throttled as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return render_template("accounts/login.html", form=form), 429, {
                "Retry-After": str(exc.retry_after)
            }
        db.session.commit()
        if result.user is not None:
            # Candidates sign in on shared hall computers: never remembered.
            login_user(result.user, remember=form.remember.data and result.user.role is not Role.CANDIDATE)
            return redirect(local_path(request.args.get("next")) or url_for("accounts.home"))
        flash(result.error, "danger")
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@authenticated
def logout():
    # Ends this session and any copy of its cookies (a remembered sign-in included): the session
    # version is part of the login id (issue 12 M4). Other devices of the user sign in again.
    services.end_sessions(db.session, user=current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password():
    form = ChangePasswordForm(user=current_user)
    if form.validate_on_submit():
        ok, _result = commit_service(
            form,
            services.change_own_password,
            user=current_user,
            current=form.current_password.data,
            new=form.new_password.data,
        )
        if ok:
            login_user(current_user._get_current_object(), fresh=True)  # session version changed
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.home"))
    return render_template("accounts/change_password.html", form=form)


@bp.before_app_request
def require_password_change():
    """A user given a password by an administrator must choose their own before going on."""
    if not signed_in_maybe():
        return None  # nobody to ask about: no user is loaded for an anonymous request
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in {"accounts.change_password", "accounts.logout", "static",
                                     "core.set_language", "core.healthz"}
    ):
        flash(_("Please choose a new password before you continue."), "warning")
        return redirect(url_for("accounts.change_password"))
    return None


# --- administration of users -----------------------------------------------------------------


def _active_centres():
    return db.session.scalars(
        select(TrainingCentre).where(TrainingCentre.active.is_(True)).order_by(TrainingCentre.code)
    ).all()


def _centre_by_public_id(public_id: str | None) -> TrainingCentre | None:
    if not public_id:
        return None
    return db.session.scalar(select(TrainingCentre).filter_by(public_id=public_id))


def _get_user(public_id: str) -> User:
    return db.first_or_404(select(User).filter_by(public_id=public_id))


@bp.route("/admin/users")
@roles(Role.ADMIN)
def users():
    filters = UserFilterForm(request.args)
    query = select(User).order_by(User.role, User.username)
    if filters.validate():
        if filters.q.data:
            like = f"%{filters.q.data}%"
            query = query.where(
                or_(User.username.ilike(like), User.full_name.ilike(like), User.email.ilike(like))
            )
        if filters.role.data:
            query = query.where(User.role == Role(filters.role.data))
        if filters.status.data:
            query = query.where(User.active.is_(filters.status.data == "active"))
    if request.args.get("format") == "xlsx":
        rows = (
            (u.username, u.full_name, u.role.label, str(u.centre or ""), u.email,
             _("Active") if u.active else _("Disabled"), format_dt(u.last_login_at))
            for u in db.session.scalars(query)
        )
        headers = [_("Username"), _("Full name"), _("Role"), _("Training centre"), _("E-mail"),
                   _("Status"), _("Last sign-in")]
        return xlsx_response("users.xlsx", _("Users"), headers, rows)
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("accounts/users.html", page=page, filters=filters)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def create_user():
    form = UserForm(centres=_active_centres(), creating=True)
    if form.validate_on_submit():
        ok, user = commit_service(
            form,
            services.create_user,
            username=form.username.data,
            full_name=form.full_name.data,
            email=form.email.data or "",
            role=Role(form.role.data),
            centre=_centre_by_public_id(form.centre.data),
            password=form.password.data,
            must_change_password=True,
        )
        if ok:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("accounts.users", q=user.username))  # the list shows them, however long it is
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<public_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_user(public_id: str):
    user = _get_user(public_id)
    form = UserForm(
        obj=user,
        centres=_active_centres(),
        creating=False,
        # Used only when no form was posted: the select fields show the stored values.
        data={"role": user.role.value, "centre": user.centre.public_id if user.centre else ""},
    )
    if form.validate_on_submit():
        ok, _result = commit_service(
            form,
            services.update_user,
            user=user,
            actor=current_user,
            full_name=form.full_name.data,
            email=form.email.data or "",
            role=Role(form.role.data),
            centre=_centre_by_public_id(form.centre.data),
            active=form.active.data,
        )
        if ok:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("accounts.users"))
    reset_form = ResetPasswordForm(user=user, formdata=None)
    throttled = services.is_sign_in_throttled(db.session, user=user, now=clock.now())
    return render_template("accounts/user_form.html", form=form, user=user, reset_form=reset_form,
                           unlock_form=BaseForm(), throttled=throttled)


@bp.route("/admin/users/<public_id>/unlock", methods=["POST"])
@roles(Role.ADMIN)
def unlock_sign_in(public_id: str):
    user = _get_user(public_id)
    if BaseForm().validate_on_submit():
        services.unlock_sign_in(db.session, user=user, actor=current_user)
        db.session.commit()
        flash(_("Sign-in of %(name)s is unlocked: failed attempts are forgotten.", name=user.username), "success")
    return redirect(url_for("accounts.edit_user", public_id=user.public_id))


@bp.route("/admin/users/<public_id>/password", methods=["POST"])
@roles(Role.ADMIN)
def reset_password(public_id: str):
    user = _get_user(public_id)
    form = ResetPasswordForm(user=user)
    if form.validate_on_submit():
        services.set_password(db.session, user=user, password=form.password.data, by_admin=True)
        db.session.commit()
        flash(_("The password of %(name)s has been reset; they must change it at next sign-in.",
                name=user.username), "success")
    else:
        for error in form.password.errors:
            flash(f"{_('New password')}: {error}", "danger")
    return redirect(url_for("accounts.edit_user", public_id=user.public_id))


# --- training centres ------------------------------------------------------------------------


@bp.route("/admin/centres")
@roles(Role.ADMIN)
def centres():
    rows = db.session.scalars(select(TrainingCentre).order_by(TrainingCentre.code)).all()
    if request.args.get("format") == "xlsx":
        headers = [_("Code"), _("Name"), _("Contact person"), _("Phone"), _("Address"), _("Status")]
        data = ((c.code, c.name, c.contact_name, c.phone, c.address,
                 _("Active") if c.active else _("Disabled")) for c in rows)
        return xlsx_response("centres.xlsx", _("Training centres"), headers, data)
    return render_template("accounts/centres.html", centres=rows)


@bp.route("/admin/centres/new", methods=["GET", "POST"], defaults={"public_id": None})
@bp.route("/admin/centres/<public_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_centre(public_id: str | None):
    centre = db.first_or_404(select(TrainingCentre).filter_by(public_id=public_id)) if public_id else None
    form = CentreForm(obj=centre)
    if form.validate_on_submit():
        ok, _result = commit_service(
            form,
            services.save_centre,
            centre=centre,
            code=form.code.data,
            name=form.name.data,
            contact_name=form.contact_name.data or "",
            phone=form.phone.data or "",
            address=form.address.data or "",
            active=form.active.data,
        )
        if ok:
            flash(_("Training centre saved."), "success")
            return redirect(url_for("accounts.centres"))
    return render_template("accounts/centre_form.html", form=form, centre=centre)


@bp.route("/centre")
@roles(Role.CENTRE_STAFF)
def my_centre():
    centre = current_user.centre
    if centre is None:
        abort(404)
    staff = db.session.scalars(
        select(User).where(User.centre_id == centre.id).order_by(User.full_name)
    ).all()
    return render_template("accounts/my_centre.html", centre=centre, staff=staff)
