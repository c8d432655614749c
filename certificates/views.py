"""Results and certificates. Public pages (no login): the publicity list, certificate verification
by QR token or by number and name, the signing key. Candidates: their results and certificates.
Administrators: result rules, computation, publicity and objections, issuing, revocation."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from accounts.models import Role
from certificates import objections, rules, services, signing, verifylog
from certificates import results as result_services
from certificates.forms import CorrectForm, LookupForm, RecordObjectionForm, ReissueForm, RevokeForm, RuleForm
from certificates.holder import own_certificate
from certificates.models import Certificate, Result, ResultStatus
from certificates.objection_views import bp as objections_bp
from certificates.openbadges.views import bp as badges_bp
from core import clock, nav, uploads, workcalendar
from core.access import public, roles
from core.errors import DomainError, Throttled
from core.excel import xlsx_response
from core.extensions import db
from core.http import error_response, personal
from core.pagecache import PageCache
from core.web import commit_service
from registration.models import Event, Registration

bp = Blueprint("certificates", __name__)
bp.register_blueprint(badges_bp)  # Open Badges: certificates.badges.*
bp.register_blueprint(objections_bp)  # objections and reviews: certificates.objections.*
_verify_pages = PageCache()

nav.add("certificates.admin_events", _l("Results and certificates"), order=43)
nav.add("certificates.mine", _l("My results"), order=12)
bp.add_app_template_global(result_services.outcome, "result_outcome")


def _event(public_id: str) -> Event:
    return db.first_or_404(select(Event).filter_by(public_id=public_id))


# --- public ------------------------------------------------------------------------------------


@bp.route("/verify/<token>")
@public
@personal
def verify(token: str):
    """The employer's page. Its text changes only with the certificate's status, so an anonymous
    visitor is answered from the page cache once the status has been read (one indexed row);
    a revocation or an expiry changes the key. The verification is logged off the critical path
    (certificates/verifylog.py)."""
    now = clock.now()
    standing = services.standing_by_token(db.session, token)
    status = services.status(standing, now)

    def render() -> str:
        certificate = db.session.get(Certificate, standing.id) if standing else None
        return render_template("certificates/verify.html", certificate=certificate, status=status)

    if standing is None:
        page = render()
    else:
        page = _verify_pages.page(("verify", token, status, standing.revoked_at), render)
    verifylog.record(db.session, certificate_id=standing.id if standing else None, method="qr",
                     address=request.remote_addr or "", now=now)
    db.session.commit()
    return page, (200 if standing else 404)


@bp.route("/verify/<token>/photo")
@public
@personal
def photo(token: str):
    """The holder's photo, only while the certificate is valid: a revoked or expired certificate's
    page still states its facts, but a photo is personal data that nothing then needs."""
    certificate = services.by_token(db.session, token)
    if certificate is None or not certificate.photo or services.status(certificate, clock.now()) != "valid":
        abort(404)
    return send_from_directory(uploads.folder("photos"), certificate.photo)


@bp.route("/verify", methods=["GET", "POST"])
@public
@personal
def lookup():
    form = LookupForm()
    if form.validate_on_submit():
        try:
            certificate = services.lookup(db.session, number=form.number.data, name=form.name.data,
                                          address=request.remote_addr or "", now=clock.now())
        except Throttled as exc:
            db.session.rollback()
            response = make_response(error_response(429, exc.message))
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        db.session.commit()
        if certificate is not None:
            return redirect(url_for("certificates.verify", token=services.token(certificate)))
        return render_template("certificates/verify.html", certificate=None, status="not_found", form=form,
                               looked_up=True), 404
    return render_template("certificates/lookup.html", form=form)


@bp.route("/.well-known/iiom-certificate-key.json")
@public
def public_key():
    key = signing.private_key().public_key()
    return jsonify({"format": signing.FORMAT, "algorithm": "Ed25519", "key_id": signing.key_id(key),
                    "public_key_pem": signing.public_pem(key)})


@bp.route("/results/<public_id>")
@public
def publicity(public_id: str):
    event = _event(public_id)
    publication = result_services.publication_of(db.session, event)
    if publication is None:
        abort(404)
    rows = db.session.scalars(select(Result).join(Registration).where(
        Result.event_id == event.id, Result.status != ResultStatus.COMPUTED)
        .options(joinedload(Result.registration).joinedload(Registration.centre))
        .order_by(Registration.group, Result.rank.is_(None), Result.rank, Registration.candidate_number)).all()
    return render_template("certificates/publicity.html", event=event, publication=publication, rows=rows,
                           mask=rules.mask_name, now=clock.now())


# --- candidates --------------------------------------------------------------------------------


@bp.route("/my-results")
@roles(Role.CANDIDATE)
def mine():
    rows = db.session.scalars(select(Result).join(Registration).where(
        or_(Registration.user_id == current_user.id, Registration.applicant_id == current_user.id),
        Result.status != ResultStatus.COMPUTED)).all()
    certificates = db.session.scalars(select(Certificate).join(Registration).where(
        or_(Registration.user_id == current_user.id, Registration.applicant_id == current_user.id),
        Certificate.superseded_by_id.is_(None))).all()
    now = clock.now()
    return render_template("certificates/mine.html", rows=rows, certificates=certificates,
                           breakdown={r.id: _breakdown(r) for r in rows},
                           open_for_objections={r.id for r in rows
                                                if objections.window_problem(db.session, r, now) is None},
                           objections=objections.of_candidate(db.session, current_user),
                           part_label=objections.part_label)


def _breakdown(result: Result) -> dict:
    """Theory by section and practical by task, for the candidate's own page."""
    from exam.models import Attempt, AttemptStatus, Exam
    from scoring import services as scoring

    registration = result.registration
    scheme = scoring.current_scheme(db.session, registration.event)
    tasks = [(t, scoring.task_score(db.session, t, registration)) for t in scheme.tasks] if scheme else []
    sections = []
    attempt = db.session.scalar(select(Attempt).join(Exam).where(
        Exam.event_id == registration.event_id, Attempt.user_id == registration.user_id,
        Attempt.status != AttemptStatus.IN_PROGRESS).order_by(Exam.opens_at.desc()).limit(1)) \
        if registration.user_id else None
    if attempt is not None and attempt.section_scores:
        sections = [(s.title or s.type.label, attempt.section_scores.get(str(s.id), "0.00"), s.points * s.count)
                    for s in attempt.exam.sections]
    return {"tasks": tasks, "sections": sections}


@bp.route("/certificates/<public_id>.pdf")
@roles(Role.CANDIDATE, Role.ADMIN)
def pdf(public_id: str):
    certificate = own_certificate(public_id)
    data = services.pdf_bytes(certificate)
    db.session.commit()
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=certificate-{certificate.number}.pdf"})


@bp.route("/certificates/<public_id>.json")
@roles(Role.CANDIDATE, Role.ADMIN)
def signed_json(public_id: str):
    certificate = own_certificate(public_id)
    document = signing.sign(services.facts(certificate))
    return Response(json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=certificate-{certificate.number}.json"})


# --- administrators ----------------------------------------------------------------------------


@bp.route("/certificates/admin")
@roles(Role.ADMIN)
def admin_events():
    events = db.session.scalars(select(Event).order_by(Event.registration_opens.desc())).all()
    return render_template("certificates/admin_events.html", events=events)


@bp.route("/certificates/admin/<public_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def admin_event(public_id: str):
    event = _event(public_id)
    rule = result_services.rule_of(db.session, event)
    form = RuleForm(obj=rule)
    status = 200
    action = request.form.get("action") if request.method == "POST" else None
    if action == "rules" and not form.validate_on_submit():
        status = 400  # the page again, with every field's error and what was typed; nothing saved
    elif request.method == "POST":
        if action == "rules":
            form.populate_obj(rule)
            from core import audit

            audit.record(db.session, "results.rules", target=event, actor=current_user,
                         after={k: getattr(rule, k) for k in RuleForm.FIELDS})
            db.session.commit()
            flash(_("Rules saved."), "success")
        elif action in ("compute", "publish", "batch") and RevokeForm().validate_on_submit():
            service = {"compute": result_services.compute, "publish": result_services.publish,
                       "batch": services.start_batch}[action]
            ok, _r = commit_service(form, service, event=event, actor=current_user, now=clock.now())
            if ok:
                flash({"compute": _("Results computed."), "publish": _("Results published for publicity."),
                       "batch": _("Issuing has started; this page shows the progress.")}[action], "success")
                if action == "publish" and (guessed := _guessed(_r)):
                    flash(_guessed_warning(guessed), "warning")
                lacking = result_services.lacking(db.session, event) if action in ("compute", "publish") else []
                if lacking:
                    flash(_("%(n)d candidates lack a part: %(who)s.", n=len(lacking),
                            who="; ".join(lacking[:10]) + ("…" if len(lacking) > 10 else "")), "warning")
        return redirect(url_for("certificates.admin_event", public_id=event.public_id))
    query = select(Result).join(Registration).where(Result.event_id == event.id)
    if request.args.get("group"):
        query = query.where(Registration.group == request.args["group"])
    if request.args.get("centre"):
        query = query.where(Registration.centre.has(public_id=request.args["centre"]))
    rows = db.session.scalars(query.order_by(Registration.group, Result.rank.is_(None), Result.rank,
                                             Registration.candidate_number)).all()
    if request.args.get("format") == "xlsx":
        ranked = event.kind.value == "competition"
        headers = [_("Candidate number"), _("Full name"), _("Training centre"), _("Group"), _("Theory"),
                   _("Practical"), _("Total"), _("Result"), *([_("Rank")] if ranked else []), _("Status")]
        data = ((r.registration.candidate_number, r.registration.full_name, r.registration.centre.name,
                 r.registration.group.label if r.registration.group else "", _num(r.theory), _num(r.practical),
                 _num(r.total), result_services.outcome(r, event), *([r.rank] if ranked else []), r.status.label)
                for r in rows)
        return xlsx_response("results.xlsx", _("Results"), headers, data)
    certificates = {c.registration_id: c for c in db.session.scalars(
        select(Certificate).filter_by(event_id=event.id, superseded_by_id=None))}
    batch = services.latest_batch(db.session, event)
    totals = [r.total for r in rows if r.total is not None]
    from accounts.models import TrainingCentre

    centres = db.session.scalars(select(TrainingCentre).order_by(TrainingCentre.code)).all()
    publication = result_services.publication_of(db.session, event)
    # Before publishing: when the publicity would end; after: the stored end. Either way, the
    # years it was (or would be) counted in by the weekend alone.
    ends = None if publication else result_services.publicity_end(db.session, event=event, now=clock.now())
    guessed = _guessed(publication) if publication else ends.guessed
    return render_template("certificates/admin_event.html", event=event, form=form, rows=rows, centres=centres,
                           certificates=certificates, batch=batch, publication=publication, publicity_ends=ends,
                           guessed_warning=_guessed_warning(guessed) if guessed else "",
                           histogram=_histogram(totals), action_form=RevokeForm(), objection_form=RecordObjectionForm(),
                           reissue_form=ReissueForm(),
                           correct_form=CorrectForm(), task_means=_task_means(event),
                           standing=result_services.standing(db.session, event)), status


def _guessed(publication) -> tuple[int, ...]:
    return workcalendar.guessed_years(db.session, start=publication.published_at, end=publication.ends_at)


def _guessed_warning(years: tuple[int, ...]) -> str:
    return _("The official calendar of %(years)s is not known yet (neither the holiday library nor an "
             "administrator's override): the publicity counts Monday to Friday there, without holidays or "
             "make-up working days. Enter that year's schedule on the working-days page.",
             years=", ".join(str(y) for y in years))


def _num(value):
    return float(value) if value is not None else None


def _histogram(totals: list[Decimal]) -> list[tuple[str, int]]:
    bins = [(f"{lo}-{lo + 9}" if lo < 90 else "90-100", lo) for lo in range(0, 100, 10)]
    counts = {lo: 0 for _label, lo in bins}
    for t in totals:
        counts[min(90, int(t) // 10 * 10)] += 1
    return [(label, counts[lo]) for label, lo in bins]


def _task_means(event: Event) -> list[tuple[str, Decimal]]:
    from scoring import services as scoring

    scheme = scoring.current_scheme(db.session, event)
    if scheme is None:
        return []
    people = scoring.enrolled(db.session, event)
    if not people:
        return []
    return [(f"{t.number}", rules.money(sum((scoring.task_score(db.session, t, r) for r in people), Decimal(0))
                                        / len(people))) for t in scheme.tasks]


@bp.route("/certificates/admin/<public_id>/batch.json")
@roles(Role.ADMIN)
def batch_progress(public_id: str):
    event = _event(public_id)
    batch = services.latest_batch(db.session, event)
    if batch is None:
        abort(404)
    return jsonify({"total": batch.total, "done": batch.done, "finished": batch.finished_at is not None})


@bp.route("/certificates/admin/certificates/<public_id>/revoke", methods=["POST"])
@roles(Role.ADMIN)
def revoke(public_id: str):
    certificate = db.first_or_404(select(Certificate).filter_by(public_id=public_id))
    form = RevokeForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.revoke, certificate=certificate, reason=form.reason.data or "",
                                actor=current_user, now=clock.now())
        if ok:
            flash(_("Certificate %(n)s revoked.", n=certificate.number), "success")
    return redirect(url_for("certificates.admin_event", public_id=certificate.event.public_id))


def _replace_document(public_id: str, form, service, done: str, **kwargs):
    """Reissue or correct: a form's first error, or the service's refusal, as a message; nothing
    is changed then."""
    certificate = db.first_or_404(select(Certificate).filter_by(public_id=public_id))
    event_id = certificate.event.public_id
    if not form.validate_on_submit():
        errors = [str(e) for errors in form.errors.values() for e in errors]
        flash(errors[0] if errors else _("Fill in the form."), "danger")
        return redirect(url_for("certificates.admin_event", public_id=event_id))
    try:
        new = service(db.session, certificate=certificate, actor=current_user, now=clock.now(), **kwargs)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("certificates.admin_event", public_id=event_id))
    db.session.commit()
    services.pdf_bytes(new)  # the new document's PDF, after the commit
    db.session.commit()
    flash(done(new), "success")
    return redirect(url_for("certificates.admin_event", public_id=event_id))


@bp.route("/certificates/admin/certificates/<public_id>/reissue", methods=["POST"])
@roles(Role.ADMIN)
def reissue(public_id: str):
    form = ReissueForm()
    return _replace_document(public_id, form, services.reissue,
                             lambda new: _("Certificate %(n)s reissued (serial %(s)d).", n=new.number, s=new.serial),
                             note=form.note.data or "")


@bp.route("/certificates/admin/certificates/<public_id>/correct", methods=["POST"])
@roles(Role.ADMIN)
def correct(public_id: str):
    form = CorrectForm()
    return _replace_document(public_id, form, services.correct,
                             lambda new: _("Certificate %(n)s corrected (serial %(s)d): the old document is "
                                           "superseded.", n=new.number, s=new.serial),
                             name=form.name.data or "", id_number=form.id_number.data or "",
                             reason=form.reason.data or "")
