"""Holder share links (issue 17). The holder's page for one certificate (/my-results/share/<public
id>: make a link, see its expiry, visits and state, revoke it) and the public page a link opens
(/s/<token>: the verify page while the link is active, 410 once it has expired or been revoked,
404 for a token that was never issued). Services are in certificates/sharing.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import RadioField, StringField
from wtforms.validators import Length, Optional

from accounts.models import Role
from certificates import services, sharing, verifylog
from certificates.holder import own_certificate
from certificates.models import Certificate
from core import clock, uploads
from core.access import public, roles, signed_in_maybe
from core.extensions import db
from core.forms import BaseForm, choices
from core.http import personal
from core.i18n import format_dt
from core.web import commit_service

bp = Blueprint("sharing", __name__)

OTHER = "other"


class ShareForm(BaseForm):
    """How long the link is valid (a preset, or another number of days) and a label for the holder.
    The service checks the number (certificates.sharing.parse_days): the form only carries it."""

    period = RadioField(_l("Valid for"), default="90", choices=choices(
        [(str(d), _l("%(n)d days", n=d)) for d in sharing.PRESET_DAYS] + [(OTHER, _l("Another number of days"))]))
    days = StringField(_l("Number of days (30 to 180)"),
                       validators=[Optional(), Length(max=20, message=sharing.DAYS_MESSAGE)])
    label = StringField(_l("Label (only you see it)"), validators=[Optional(), Length(max=sharing.MAX_LABEL)],
                        description=_l("For example: for the HR department of 示范公司."))

    def chosen_days(self) -> str:
        return (self.days.data or "") if self.period.data == OTHER else (self.period.data or "")


class RevokeLinkForm(BaseForm):
    """A revocation carries nothing but its CSRF token."""


@bp.after_request
def _not_indexed(response):
    # A link pasted somewhere public must not end up in a search engine's index.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- the holder --------------------------------------------------------------------------------


@bp.route("/my-results/share/<public_id>", methods=["GET", "POST"])
@roles(Role.CANDIDATE)
def manage(public_id: str):
    certificate = own_certificate(public_id)  # 404 unknown, 403 someone else's
    form = ShareForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            ok, link = commit_service(form, sharing.create, certificate=certificate, days=form.chosen_days(),
                                      label=form.label.data or "", actor=current_user, now=clock.now())
            if ok:
                flash(_("Share link made: valid until %(date)s. Copy it below and send it to whoever should "
                        "see your certificate.", date=format_dt(link.expires_at)), "success")
                return redirect(url_for("sharing.manage", public_id=certificate.public_id, _anchor="links"))
        status = 400
    now = clock.now()
    return render_template("certificates/share_manage.html", certificate=certificate, form=form,
                           links=sharing.links_of(db.session, certificate), now=now,
                           shareable=services.status(certificate, now) == "valid", share_url=sharing.share_url,
                           state_labels=sharing.STATE_LABELS, revoke_form=RevokeLinkForm()), status


@bp.route("/my-results/share/links/<link_id>/revoke", methods=["POST"])
@roles(Role.CANDIDATE)
def revoke(link_id: str):
    link = db.first_or_404(select(sharing.ShareLink).filter_by(public_id=link_id))
    certificate = own_certificate(link.certificate.public_id)  # 403 someone else's
    form = RevokeLinkForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, sharing.revoke, link=link, actor=current_user, now=clock.now())
        if ok:
            flash(_("Share link revoked: it no longer opens your certificate."), "success")
    else:
        flash(_("The form has expired. Reload the page and try again; nothing was changed."), "danger")
    return redirect(url_for("sharing.manage", public_id=certificate.public_id, _anchor="links"))


# --- the public link ---------------------------------------------------------------------------


def _by_holder(certificate: Certificate) -> bool:
    """Whether the visitor is the certificate's holder (their own look at the link is not a visit);
    an anonymous request is decided without loading anyone."""
    if not signed_in_maybe() or not current_user.is_authenticated:
        return False
    registration = certificate.registration
    return current_user.id in (registration.user_id, registration.applicant_id)


@bp.route("/s/<token>")
@public
@personal
def shared(token: str):
    """The certificate's verify page, with its status as the QR code's page states it, while the
    link is active; 410 (saying nothing of the certificate) once it has expired or been revoked."""
    now = clock.now()
    resolved = sharing.resolve(db.session, token, now)
    link = resolved.link
    if resolved.state != sharing.ACTIVE:
        verifylog.record(db.session, certificate_id=None, method="share", address=request.remote_addr or "",
                         now=now)
        db.session.commit()
        code = 404 if resolved.state == sharing.UNKNOWN else 410
        return render_template("certificates/share_gone.html", state=resolved.state,
                               at=link.revoked_at if resolved.state == sharing.REVOKED else
                               (link.expires_at if link else None)), code
    certificate = link.certificate
    own = _by_holder(certificate)
    page = render_template("certificates/share_verify.html", certificate=certificate,
                           status=services.status(certificate, now), link=link, own=own)
    if not own:
        sharing.count_visit(db.session, link=link, now=now)
    verifylog.record(db.session, certificate_id=certificate.id, method="share", address=request.remote_addr or "",
                     now=now)
    db.session.commit()
    return page


@bp.route("/s/<token>/photo")
@public
@personal
def photo(token: str):
    """The holder's photo, only while the link is active and the certificate valid."""
    now = clock.now()
    resolved = sharing.resolve(db.session, token, now)
    if resolved.state != sharing.ACTIVE:
        abort(404)
    certificate = resolved.link.certificate
    if not certificate.photo or services.status(certificate, now) != "valid":
        abort(404)
    return send_from_directory(uploads.folder("photos"), certificate.photo)
