"""Exam pages. Candidates: their exams, the answering page and its JSON endpoints (autosave,
clock, integrity events), submission, receipt and result. Administrators: exams, blueprints,
rosters, publication, the proctor's live view and actions."""

from __future__ import annotations

import secrets
from contextlib import nullcontext
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role, User
from core import clock, nav
from core.access import public, roles
from core.errors import DomainError
from core.extensions import db
from core.http import NO_STORE, error_response, json_object
from core.web import commit_service
from exam import admin, documents, gate, halls, rules, seal, services, startkey
from exam import practice as practice_rules
from exam.forms import (
    ChallengeDecisionForm,
    CompensateForm,
    ExamForm,
    ExtraTimeForm,
    HallForm,
    HallSettingsForm,
    IncidentForm,
    InvigilatorForm,
    PauseForm,
    PracticeForm,
    ProctorActionForm,
    ReopenForm,
    RosterForm,
    SeatForm,
    SectionForm,
    StartForm,
    TakeoverForm,
)
from exam.models import (
    AnswerEvent,
    Attempt,
    AttemptStatus,
    Exam,
    ExamCandidate,
    ExamSection,
    ExamStatus,
    IntegrityEvent,
    Regrade,
)
from question_bank.models import QuestionType, QuestionVersion, module_label
from question_bank.transfer import parse_key
from registration import services as registration
from registration.models import Event

bp = Blueprint("exam", __name__, url_prefix="/exam")

nav.add("exam.my_exams", _l("My exams"), order=10)
nav.add("exam.practice", _l("Practice"), order=11)
nav.add("exam.admin_index", _l("Exams"), order=31, group="exams")
nav.add("exam.halls_index", _l("Exam halls"), order=32, group="exams")

DEVICE_KEY = "exam_device"


def _device_token() -> str:
    """This browser session's device token: the attempt answers only to the device holding it."""
    if DEVICE_KEY not in session:
        session[DEVICE_KEY] = secrets.token_urlsafe(24)
    return session[DEVICE_KEY]


def _client() -> dict:
    return {"address": request.remote_addr or "", "user_agent": request.user_agent.string or ""}


SEB_HEADER = "X-SafeExamBrowser-ConfigKeyHash"


def _where() -> dict:
    """What the exam's integrity settings look at: the client's address, the URL it asked for (as
    it asked, behind the trusted proxies) and its Safe Exam Browser header."""
    return {"address": request.remote_addr or "", "url": request.url, "seb_hash": request.headers.get(SEB_HEADER)}


# --- candidates --------------------------------------------------------------------------------


@bp.route("/")
@roles(Role.CANDIDATE)
def my_exams():
    entries = db.session.scalars(
        select(ExamCandidate).join(Exam).where(ExamCandidate.user_id == current_user.id,
                                               Exam.status != ExamStatus.DRAFT)
        .order_by(Exam.opens_at.desc())
    ).all()
    rows = []
    now = clock.now()
    for entry in entries:
        attempt = services.attempt_of(db.session, entry.exam, current_user)
        if attempt is not None and services.enforce_deadline(db.session, attempt, now=now):
            db.session.commit()
        hall = entry.hall
        room = rules.waiting_room(starts_at=hall.starts_at, now=now, opens_minutes=services.waiting_room_minutes()) \
            if hall is not None and hall.starts_at is not None else ""
        rows.append((entry.exam, attempt, entry, room))
    return render_template("exam/my_exams.html", rows=rows, now=now, start_form=StartForm(),
                           waiting=timedelta(minutes=services.waiting_room_minutes()))


@bp.route("/<public_id>/start", methods=["POST"])
@roles(Role.CANDIDATE)
def start(public_id: str):
    exam = db.first_or_404(select(Exam).filter_by(public_id=public_id))
    form = StartForm()
    if not form.validate_on_submit():
        flash(_("The access code is too long."), "danger")
        return redirect(url_for("exam.my_exams"))
    try:
        attempt = services.start_attempt(db.session, exam=exam, user=current_user, now=clock.now(),
                                         access_code=form.access_code.data or "", device_token=_device_token(),
                                         user_agent=request.user_agent.string or "", **_where())
    except DomainError as exc:
        # A close by the timer, or a counted wrong access code, is kept; anything else is undone.
        keep = isinstance(exc, services.TimeUp | services.WrongAccessCode)
        db.session.commit() if keep else db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("exam.my_exams"))
    db.session.commit()
    return redirect(url_for("exam.attempt", public_id=attempt.public_id))


def _in_language_of(exam: Exam):
    """Around a candidate page or message of the exam: its language's locale (an English exam's
    pages are in English), or the user's."""
    locale = exam.language.page_locale
    return force_locale(locale) if locale else nullcontext()


def _enter(public_id: str, action: str) -> gate.Passage:
    """Every candidate request about an attempt passes the gate (exam/gate.py) first."""
    return gate.enter(db.session, public_id=public_id, user=current_user, device_token=_device_token(),
                      action=action, now=clock.now(), **_where())


def _clock(attempt: Attempt, now) -> dict:
    paused_at = services.paused_at(attempt)
    return {
        "server_time": now.isoformat(),
        "deadline": attempt.deadline.isoformat(),
        "remaining": services.remaining_seconds(attempt, now),
        "status": attempt.status.value,
        "paused": paused_at is not None,
        "starts_at": attempt.started_at.isoformat(),
    }


def _stop_flags(attempt: Attempt, exc: DomainError) -> dict:
    """What tells the page to stop saving: another device holds the attempt, or it closed."""
    if isinstance(exc, services.TakenOver):
        return {"taken_over": True}
    if isinstance(exc, services.TimeUp):
        return {"closed": True, "receipt_url": url_for("exam.receipt", public_id=attempt.public_id)}
    return {}


def _refused(passage: gate.Passage):
    """The gate's refusal as JSON. A close the gate made is kept: the one commit of the request."""
    db.session.commit()
    exc = passage.refusal
    with _in_language_of(passage.attempt.exam):
        body = {"error": exc.status_code, "message": str(exc.message), **_stop_flags(passage.attempt, exc)}
    return jsonify(body), exc.status_code


def _json_error(attempt: Attempt, exc: DomainError):
    db.session.rollback()
    with _in_language_of(attempt.exam):
        body = {"error": exc.status_code, "message": str(exc.message), **_stop_flags(attempt, exc)}
    return jsonify(body), exc.status_code


@bp.route("/attempts/<public_id>")
@roles(Role.CANDIDATE)
def attempt(public_id: str):
    passage = _enter(public_id, "page")
    with _in_language_of(passage.attempt.exam):
        return _attempt_page(passage)


def _attempt_page(passage: gate.Passage):
    attempt = passage.attempt
    if passage.waiting:
        db.session.commit()
        return render_template("exam/waiting.html", attempt=attempt, exam=attempt.exam, form=TakeoverForm())
    if passage.refusal:
        db.session.commit()
        if passage.taken_over:
            flash(_("This exam is open on another computer. Start it again here to continue on this one."),
                  "warning")
            return redirect(url_for("exam.my_exams"))
        if passage.closed:
            return redirect(url_for("exam.receipt", public_id=attempt.public_id))
        return error_response(passage.refusal.status_code, passage.refusal.message)  # not from this client
    answers = {a.item_id: {"response": a.response, "flagged": a.flagged, "seq": a.seq} for a in attempt.answers}
    items = services.paper_items(db.session, attempt)
    waiting_room = {}
    if passage.ready:  # before the hall's start: the paper sealed, the key handed out at the start
        waiting_room = _waiting_room(attempt, items)
    config = {
        "attempt": attempt.public_id,
        "save_url": url_for("exam.save", public_id=attempt.public_id),
        "clock_url": url_for("exam.clock_status", public_id=attempt.public_id),
        "events_url": url_for("exam.events", public_id=attempt.public_id),
        "challenge_url": url_for("exam.challenge", public_id=attempt.public_id),
        "receipt_url": url_for("exam.receipt", public_id=attempt.public_id),
        "answers": {str(k): v for k, v in answers.items()},
        **_clock(attempt, passage.now),
        **waiting_room.pop("config", {}),
    }
    return render_template("exam/attempt.html", attempt=attempt, exam=attempt.exam, items=items,
                           item_count=len(items), config=config, answers=answers, **waiting_room)


def _waiting_room(attempt: Attempt, items) -> dict:
    """What the waiting room adds to the answering page: the paper sealed with the hall's key
    (bound to this attempt), where to ask for the key, and the candidate's photo and seat."""
    hall = attempt.hall
    paper = render_template("exam/_paper.html", items=items, attempt=attempt)
    entry = services.roster_entry(db.session, attempt.exam, current_user)
    card = registration.seat_cards(db.session, event_id=attempt.exam.event_id, user_ids=[current_user.id]).get(
        current_user.id)
    token = seal.key_token(current_app.config["SECRET_KEY"], hall.public_id)
    return {
        "sealed": seal.seal(paper, hall.paper_key, bound_to=attempt.public_id),
        "seat": entry.seat if entry else None,
        "candidate_number": card.candidate_number if card else "",
        "photo_url": url_for("registration.photo", public_id=card.registration) if card and card.photo else None,
        "config": {"key_url": url_for("exam.hall_key", hall_id=hall.public_id, t=token)},
    }


@bp.route("/halls/<hall_id>/key")
@public
def hall_key(hall_id: str):
    """The hall's paper key, from its start on (425 before, with how long to wait). Served before
    Flask by exam/startkey.py; this route answers the same where that is not installed."""
    status, body = startkey.answer(hall_id, request.args.get("t", ""), secret=current_app.config["SECRET_KEY"],
                                   now=clock.now(), lookup=lambda h: halls.start_key(db.session, public_id=h))
    response = jsonify(body)
    response.status_code, response.headers["Cache-Control"] = status, NO_STORE
    return response


@bp.route("/attempts/<public_id>/takeover", methods=["POST"])
@roles(Role.CANDIDATE)
def takeover(public_id: str):
    """The waiting device types the one-time code the invigilator read out."""
    passage = _enter(public_id, "takeover")
    attempt = passage.attempt
    form = TakeoverForm()
    if passage.refusal or not form.validate_on_submit():
        db.session.commit()
        return redirect(url_for("exam.attempt", public_id=attempt.public_id))
    try:
        services.take_over_with_code(db.session, attempt=attempt, device_token=_device_token(), code=form.code.data,
                                     address=request.remote_addr or "", user_agent=request.user_agent.string or "",
                                     now=passage.now)
    except DomainError as exc:
        db.session.commit() if isinstance(exc, services.WrongAccessCode) else db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("exam.attempt", public_id=attempt.public_id))
    db.session.commit()
    return redirect(url_for("exam.attempt", public_id=attempt.public_id))


@bp.route("/attempts/<public_id>/answers", methods=["POST"])
@roles(Role.CANDIDATE)
def save(public_id: str):
    passage = _enter(public_id, "save")
    if passage.refusal:
        return _refused(passage)
    payload = json_object()
    saves = payload.get("saves") if payload is not None else None
    if not isinstance(saves, list) or len(saves) > 500:
        return error_response(400, _("The save could not be read."))
    attempt, now = passage.attempt, passage.now
    try:
        result = services.save_answers(db.session, attempt=attempt, device_token=_device_token(), saves=saves,
                                       now=now, **_client())
    except DomainError as exc:  # closed or taken over between the gate and the claim, or a flood
        return _json_error(attempt, exc)
    body = {"acks": result.acks, "rejected": result.rejected, **_clock(attempt, now)}
    db.session.commit()
    return jsonify(body)


@bp.route("/attempts/<public_id>/clock")
@roles(Role.CANDIDATE)
def clock_status(public_id: str):
    passage = _enter(public_id, "clock")
    body = {**_clock(passage.attempt, passage.now), "taken_over": passage.taken_over}  # before the commit expires it
    db.session.commit()  # a close the gate made
    return jsonify(body)


@bp.route("/attempts/<public_id>/events", methods=["POST"])
@roles(Role.CANDIDATE)
def events(public_id: str):
    passage = _enter(public_id, "events")
    if passage.refusal:
        return _refused(passage)
    payload = json_object()
    kinds = payload.get("events") if payload is not None else None
    if not isinstance(kinds, list):
        return error_response(400, _("The request could not be read."))
    attempt = passage.attempt
    focus = services.record_events(db.session, attempt=attempt, kinds=[k for k in kinds if isinstance(k, str)],
                                   now=passage.now, **_client())
    body = {"ok": True, "focus": focus, "focus_losses": attempt.focus_losses}
    if focus == "submit":
        body.update(closed=True, receipt_url=url_for("exam.receipt", public_id=attempt.public_id))
    db.session.commit()
    return jsonify(body)


@bp.route("/attempts/<public_id>/challenges", methods=["POST"])
@roles(Role.CANDIDATE)
def challenge(public_id: str):
    passage = _enter(public_id, "challenge")
    if passage.refusal:
        return _refused(passage)
    payload = json_object()
    if payload is None:
        return error_response(400, _("The request could not be read."))
    try:
        services.challenge_item(db.session, attempt=passage.attempt, item_id=payload.get("item"),
                                note=str(payload.get("note") or "")[:500], now=passage.now)
    except DomainError as exc:
        return _json_error(passage.attempt, exc)
    db.session.commit()
    return jsonify({"ok": True})


@bp.route("/attempts/<public_id>/submit", methods=["POST"])
@roles(Role.CANDIDATE)
def submit(public_id: str):
    passage = _enter(public_id, "submit")
    attempt = passage.attempt
    if passage.taken_over:
        db.session.commit()
        flash(_("This exam is open on another computer; submit it there."), "danger")
        return redirect(url_for("exam.my_exams"))
    if passage.refusal and not passage.closed:  # not from this client
        db.session.commit()
        return error_response(passage.refusal.status_code, passage.refusal.message)
    if not passage.refusal:
        services.submit(db.session, attempt=attempt, now=passage.now, by="candidate", actor=current_user)
    db.session.commit()  # the candidate's close, or the gate's (time was up), or nothing (closed already)
    return redirect(url_for("exam.receipt", public_id=attempt.public_id))


@bp.route("/attempts/<public_id>/receipt")
@roles(Role.CANDIDATE)
def receipt(public_id: str):
    passage = _enter(public_id, "receipt")
    db.session.commit()  # a close the gate made
    if passage.refusal:  # still open: the answering page (or, on another device, the way back)
        return redirect(url_for("exam.attempt", public_id=passage.attempt.public_id))
    with _in_language_of(passage.attempt.exam):
        return render_template("exam/receipt.html", attempt=passage.attempt, exam=passage.attempt.exam)


@bp.route("/attempts/<public_id>/result")
@roles(Role.CANDIDATE)
def result(public_id: str):
    passage = _enter(public_id, "result")
    attempt, exam = passage.attempt, passage.attempt.exam
    if passage.refusal or exam.results_released_at is None:
        db.session.commit()  # a close the gate made
        abort(404)
    if attempt.score is None and services.grade_pending(db.session, attempt=attempt):  # resubmitted after release
        db.session.commit()
    review = exam.review_policy.value == "after_release"
    answers = {a.item_id: a for a in attempt.answers}
    with _in_language_of(exam):
        return render_template("exam/result.html", attempt=attempt, exam=exam, review=review, answers=answers,
                               items=attempt.paper.items)


@bp.route("/practice", methods=["GET", "POST"])
@roles(Role.CANDIDATE)
def practice():
    filters = PracticeForm(request.args)
    valid = filters.validate()
    module = int(filters.module.data) if valid and filters.module.data else None
    level = (filters.level.data or None) if valid else None
    checked = None
    if practice_rules.closed_for(db.session, current_user.id):
        return render_template("exam/practice.html", filters=filters, question=None, checked=None, closed=True,
                               action_form=ProctorActionForm()), 409
    if request.method == "POST":
        form = ProctorActionForm()  # CSRF only
        question = practice_rules.practisable(db.session, request.form.get("question", ""))
        if question is None:
            abort(404)
        if not form.validate_on_submit():
            abort(400)
        version = question.current_version
        response = version.kind.from_form(request.form.getlist("answer"))
        if response is None:  # no answer, no key
            flash(_("Choose or write an answer first."), "warning")
            return render_template("exam/practice.html", filters=filters, question=question, checked=None,
                                   action_form=ProctorActionForm()), 400
        checked = {"response": response, "correct": version.check(response).correct}
    else:
        question = practice_rules.pick(db.session, module=module, level=level, exclude=request.args.get("after"))
    if question is not None:
        practice_rules.shown(db.session, question, now=clock.now())  # no exam draws it from now on
        db.session.commit()
    return render_template("exam/practice.html", filters=filters, question=question, checked=checked,
                           action_form=ProctorActionForm())


# --- administrators ----------------------------------------------------------------------------


def _exam(public_id: str) -> Exam:
    return db.first_or_404(select(Exam).filter_by(public_id=public_id))


@bp.route("/admin/")
@roles(Role.ADMIN)
def admin_index():
    exams = db.session.scalars(select(Exam).order_by(Exam.opens_at.desc())).all()
    return render_template("exam/admin_index.html", exams=exams)


@bp.route("/admin/new", methods=["GET", "POST"], defaults={"public_id": None})
@bp.route("/admin/<public_id>/settings", methods=["GET", "POST"])
@roles(Role.ADMIN)
def admin_settings(public_id: str | None):
    exam = _exam(public_id) if public_id else None
    form = ExamForm(obj=exam, events=db.session.scalars(select(Event).order_by(Event.name)))
    if form.validate_on_submit():
        ok, saved = commit_service(form, admin.save_exam, exam=exam, fields=form.fields(), actor=current_user)
        if ok:
            flash(_("Exam saved."), "success")
            return redirect(url_for("exam.admin_exam", public_id=saved.public_id))
    return render_template("exam/admin_settings.html", form=form, exam=exam)


@bp.route("/admin/<public_id>")
@roles(Role.ADMIN)
def admin_exam(public_id: str):
    exam = _exam(public_id)
    shortfalls = [services.describe_shortfall(exam, s) for s in services.shortfalls(db.session, exam)]
    return render_template("exam/admin_exam.html", exam=exam, shortfalls=shortfalls, section_form=SectionForm(),
                           roster_form=RosterForm(), action_form=ProctorActionForm(), module_label=module_label,
                           editable=exam.status is ExamStatus.DRAFT, hall_form=HallForm(),
                           invigilator_form=InvigilatorForm(), seat_form=SeatForm())


@bp.route("/admin/<public_id>/sections", methods=["POST"])
@roles(Role.ADMIN)
def admin_add_section(public_id: str):
    exam = _exam(public_id)
    form = SectionForm()
    if form.validate_on_submit():
        ok, _section = commit_service(form, admin.add_section, exam=exam, type=QuestionType(form.type.data),
                                      title=form.title.data or "", points=form.points.data, quotas=form.quotas(),
                                      actor=current_user)
        if ok:
            flash(_("Section added."), "success")
    for name, errors in form.errors.items():
        for error in errors:
            flash(f"{getattr(form, name).label.text if hasattr(form, name) else name}: {error}", "danger")
    return redirect(url_for("exam.admin_exam", public_id=exam.public_id))


@bp.route("/admin/<public_id>/sections/<int:section_id>/delete", methods=["POST"])
@roles(Role.ADMIN)
def admin_delete_section(public_id: str, section_id: int):
    exam = _exam(public_id)
    section = db.first_or_404(select(ExamSection).filter_by(id=section_id, exam_id=exam.id))
    commit_service(ProctorActionForm(), admin.delete_section, section=section, actor=current_user)
    return redirect(url_for("exam.admin_exam", public_id=exam.public_id))


@bp.route("/admin/<public_id>/roster", methods=["POST"])
@roles(Role.ADMIN)
def admin_roster(public_id: str):
    exam = _exam(public_id)
    form = RosterForm()
    if form.validate_on_submit():
        ok, added = commit_service(form, admin.add_to_roster, exam=exam, usernames=form.usernames(),
                                   actor=current_user)
        if ok:
            flash(_("%(n)d candidate(s) added.", n=added), "success")
    return redirect(url_for("exam.admin_exam", public_id=exam.public_id))


@bp.route("/admin/<public_id>/publish", methods=["POST"])
@roles(Role.ADMIN)
def admin_publish(public_id: str):
    exam = _exam(public_id)
    form = ProctorActionForm()
    if form.validate_on_submit():
        ok, made = commit_service(form, services.publish, exam=exam, actor=current_user, now=clock.now())
        if ok:
            flash(_("Published: %(n)d papers generated.", n=made), "success")
    return redirect(url_for("exam.admin_exam", public_id=exam.public_id))


@bp.route("/admin/<public_id>/release", methods=["POST"])
@roles(Role.ADMIN)
def admin_release(public_id: str):
    exam = _exam(public_id)
    form = ProctorActionForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.release_results, exam=exam, actor=current_user, now=clock.now())
        if ok:
            flash(_("Results released."), "success")
    return redirect(url_for("exam.monitor", public_id=exam.public_id))


@bp.route("/admin/<public_id>/analysis")
@roles(Role.ADMIN)
def analysis(public_id: str):
    exam = _exam(public_id)
    rows, stats = services.item_analysis(db.session, exam)
    db.session.commit()  # the scores of attempts the grading job had not reached yet
    return render_template("exam/analysis.html", exam=exam, rows=rows, stats=stats)


@bp.route("/admin/<public_id>/challenges", methods=["GET", "POST"])
@roles(Role.ADMIN)
def challenges(public_id: str):
    exam = _exam(public_id)
    form = ChallengeDecisionForm()
    lines = None
    if form.validate_on_submit():
        version = db.session.get(QuestionVersion, form.version.data)
        new_key = parse_key(version.type.value, form.new_key.data or "") if version else None
        ok, lines = commit_service(form, services.decide_challenges, exam=exam, version_id=form.version.data,
                                   decision=form.decision.data, new_key=new_key, reason=form.reason.data,
                                   actor=current_user, now=clock.now())
        if ok:
            flash(_("Decision recorded; %(n)d attempt(s) regraded.", n=len(lines)), "success")
    grouped = services.challenges_by_question(db.session, exam)
    regrades = db.session.scalars(select(Regrade).where(Regrade.exam_id == exam.id).order_by(Regrade.id.desc())).all()
    return render_template("exam/challenges.html", exam=exam, grouped=grouped, form=form, regrades=regrades)


# --- proctoring --------------------------------------------------------------------------------


def _monitor_rows(exam: Exam, now) -> list[dict]:
    attempts = {a.user_id: a for a in db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id))}
    rows = []
    for entry in sorted(exam.roster, key=lambda e: e.user.username):
        attempt = attempts.get(entry.user_id)
        state = attempt.status.value if attempt else "not_started"
        rows.append({
            "user": entry.user.username, "name": entry.user.full_name, "user_id": entry.user.public_id,
            "state": state,
            "attempt": attempt.public_id if attempt else None,
            "answered": attempt.answered_count if attempt else 0,
            "remaining": max(0, int((attempt.deadline - now).total_seconds())) if attempt and attempt.open else None,
            "last_seen": (format_datetime(attempt.last_seen_at, "HH:mm:ss")
                          if attempt and attempt.last_seen_at else None),
            "focus_losses": attempt.focus_losses if attempt else 0,
            "extra_minutes": entry.extra_minutes,
            "score": str(attempt.score) if attempt and attempt.score is not None else None,
        })
    return rows


@bp.route("/admin/<public_id>/monitor")
@roles(Role.ADMIN)
def monitor(public_id: str):
    exam = _exam(public_id)
    now = clock.now()
    rows = _monitor_rows(exam, now)
    if request.args.get("format") == "json":
        return jsonify({"server_time": format_datetime(now, "HH:mm:ss"), "rows": rows})
    items = len(exam.sections) and sum(s.count for s in exam.sections)
    return render_template("exam/monitor.html", exam=exam, rows=rows, items=items, extra_form=ExtraTimeForm(),
                           compensate_form=CompensateForm(), action_form=ProctorActionForm(),
                           reopen_form=ReopenForm(), states=AttemptStatus)


@bp.route("/admin/<public_id>/attempts/<attempt_id>")
@roles(Role.ADMIN)
def attempt_record(public_id: str, attempt_id: str):
    """One attempt's record for the proctor or a dispute: integrity events and every saved answer."""
    exam = _exam(public_id)
    attempt = _attempt_of_exam(exam, attempt_id)
    integrity = db.session.scalars(select(IntegrityEvent).filter_by(attempt_id=attempt.id)
                                   .order_by(IntegrityEvent.id)).all()
    saves = db.session.scalars(select(AnswerEvent).filter_by(attempt_id=attempt.id).order_by(AnswerEvent.id)).all()
    items = {item.id: item for item in attempt.paper.items}
    return render_template("exam/attempt_record.html", exam=exam, attempt=attempt, integrity=integrity, saves=saves,
                           items=items, chain_ok=services.verify_chain(db.session, attempt))


@bp.route("/admin/<public_id>/extra-time", methods=["POST"])
@roles(Role.ADMIN)
def admin_extra_time(public_id: str):
    exam = _exam(public_id)
    form = ExtraTimeForm()
    valid = form.validate_on_submit()  # before the user is looked up: the form refuses hostile text
    user = db.session.scalar(select(User).filter_by(public_id=form.user.data or "")) if valid else None
    if valid and user is not None:
        ok, _e = commit_service(form, services.grant_extra_time, exam=exam, user=user, minutes=form.minutes.data,
                                reason=form.reason.data, actor=current_user, now=clock.now())
        if ok:
            flash(_("%(name)s has %(n)d more minute(s).", name=user.full_name, n=form.minutes.data), "success")
    else:
        flash(_("Give the minutes (1-120) and a reason."), "danger")
    return redirect(url_for("exam.monitor", public_id=exam.public_id))


def _compensate(exam: Exam, back: str, *, hall_id: int | None = None):
    """Compensation for everyone still answering, in the exam or in one hall (the proctor's and
    the invigilator's pages share it)."""
    form = CompensateForm()
    if form.validate_on_submit():
        ok, n = commit_service(form, services.compensate, exam=exam, minutes=form.minutes.data,
                               reason=form.reason.data, actor=current_user, now=clock.now(), hall_id=hall_id)
        if ok:
            flash(_("%(n)d candidate(s) still answering got %(m)d more minute(s).", n=n, m=form.minutes.data),
                  "success")
    else:
        flash(_("Give the minutes (1-120) and a reason."), "danger")
    return redirect(back)


def _force_submit(attempt: Attempt, back: str):
    form = ProctorActionForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.force_submit, attempt=attempt, reason=form.reason.data or "",
                                actor=current_user, now=clock.now())
        if ok:
            flash(_("Submitted."), "success")
    return redirect(back)


def _reopen(attempt: Attempt, back: str):
    form = ReopenForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.reopen, attempt=attempt, minutes=form.minutes.data,
                                reason=form.reason.data, actor=current_user, now=clock.now())
        if ok:
            flash(_("Reopened."), "success")
    else:
        flash(_("Give the minutes (1-120) and a reason."), "danger")
    return redirect(back)


@bp.route("/admin/<public_id>/compensate", methods=["POST"])
@roles(Role.ADMIN)
def admin_compensate(public_id: str):
    exam = _exam(public_id)
    return _compensate(exam, url_for("exam.monitor", public_id=exam.public_id))


def _attempt_of_exam(exam: Exam, attempt_id: str) -> Attempt:
    return db.first_or_404(select(Attempt).filter_by(public_id=attempt_id, exam_id=exam.id))


@bp.route("/admin/<public_id>/attempts/<attempt_id>/force-submit", methods=["POST"])
@roles(Role.ADMIN)
def admin_force_submit(public_id: str, attempt_id: str):
    exam = _exam(public_id)
    return _force_submit(_attempt_of_exam(exam, attempt_id), url_for("exam.monitor", public_id=exam.public_id))


@bp.route("/admin/<public_id>/attempts/<attempt_id>/reopen", methods=["POST"])
@roles(Role.ADMIN)
def admin_reopen(public_id: str, attempt_id: str):
    exam = _exam(public_id)
    return _reopen(_attempt_of_exam(exam, attempt_id), url_for("exam.monitor", public_id=exam.public_id))


# --- halls and invigilators --------------------------------------------------------------------


@bp.route("/admin/<public_id>/halls", methods=["POST"])
@roles(Role.ADMIN)
def admin_add_hall(public_id: str):
    exam = _exam(public_id)
    form = HallForm()
    if form.validate_on_submit():
        ok, hall = commit_service(form, halls.add_hall, exam=exam, name=form.name.data, room=form.room.data or "",
                                  seats=form.seats.data, actor=current_user)
        if ok:
            flash(_("Hall %(name)s added.", name=str(hall)), "success")
    else:
        flash(_("Give the hall a name and its number of seats (1-2000)."), "danger")
    return redirect(url_for("exam.admin_exam", public_id=exam.public_id))


@bp.route("/admin/<public_id>/halls/from-event", methods=["POST"])
@roles(Role.ADMIN)
def admin_halls_from_event(public_id: str):
    exam = _exam(public_id)
    form = ProctorActionForm()
    if form.validate_on_submit():
        ok, seated = commit_service(form, halls.halls_from_event, exam=exam, actor=current_user)
        if ok:
            flash(_("Halls made from the event's sessions; %(n)d candidate(s) seated by their tickets.", n=seated),
                  "success")
    return redirect(url_for("exam.admin_exam", public_id=exam.public_id))


def _admin_hall(hall_id: str):
    return halls.hall_for(db.session, public_id=hall_id, user=current_user)


@bp.route("/admin/halls/<hall_id>/invigilators", methods=["POST"])
@roles(Role.ADMIN)
def admin_hall_invigilator(hall_id: str):
    hall = _admin_hall(hall_id)
    form = InvigilatorForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).filter_by(username=form.username.data.strip().lower()))
        if user is None:
            flash(_("There is no user %(name)s.", name=form.username.data), "danger")
        else:
            ok, _r = commit_service(form, halls.assign_invigilator, hall=hall, user=user, actor=current_user)
            if ok:
                flash(_("%(name)s invigilates %(hall)s.", name=user.full_name, hall=str(hall)), "success")
    return redirect(url_for("exam.admin_exam", public_id=hall.exam.public_id))


@bp.route("/admin/halls/<hall_id>/settings", methods=["GET", "POST"])
@roles(Role.ADMIN)
def admin_hall_settings(hall_id: str):
    """The hall's synchronized start and its own network and browser settings."""
    hall = _admin_hall(hall_id)
    form = HallSettingsForm(obj=hall)
    if form.validate_on_submit():
        now = clock.now()
        try:
            if form.start() != hall.starts_at:
                halls.set_start(db.session, hall=hall, starts_at=form.start(), actor=current_user, now=now)
            own = form.integrity() if form.own_integrity.data else {}
            halls.set_integrity(db.session, hall=hall, networks=own.get("allowed_networks"),
                                config_keys=own.get("seb_config_keys"), actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Settings of %(hall)s saved.", hall=str(hall)), "success")
            return redirect(url_for("exam.admin_exam", public_id=hall.exam.public_id))
    return render_template("exam/hall_settings.html", hall=hall, exam=hall.exam, form=form,
                           waiting_minutes=services.waiting_room_minutes())


@bp.route("/admin/halls/<hall_id>/seats", methods=["POST"])
@roles(Role.ADMIN)
def admin_hall_seats(hall_id: str):
    hall = _admin_hall(hall_id)
    form = SeatForm()
    if form.validate_on_submit():
        ok, n = commit_service(form, halls.seat, hall=hall, usernames=form.usernames(), actor=current_user)
        if ok:
            flash(_("%(n)d candidate(s) seated in %(hall)s.", n=n, hall=str(hall)), "success")
    return redirect(url_for("exam.admin_exam", public_id=hall.exam.public_id))


@bp.route("/halls/")
@roles(Role.INVIGILATOR, Role.ADMIN)
def halls_index():
    return render_template("exam/halls.html", halls=halls.halls_of(db.session, current_user))


@bp.route("/halls/<hall_id>")
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall(hall_id: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    now = clock.now()
    seats = halls.seat_map(db.session, hall=hall, now=now)
    if request.args.get("format") == "json":
        return jsonify({"server_time": format_datetime(now, "HH:mm:ss"), "paused": hall.paused_at is not None,
                        "seats": [seat.__dict__ for seat in seats]})
    items = sum(s.count for s in hall.exam.sections)
    return render_template("exam/hall.html", hall=hall, exam=hall.exam, seats=seats, items=items, now=now,
                           pause_form=PauseForm(), action_form=ProctorActionForm(), compensate_form=CompensateForm(),
                           incident_form=IncidentForm(), reopen_form=ReopenForm(),
                           log=halls.incidents(db.session, hall=hall))


@bp.route("/halls/<hall_id>/photos/<username>")
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_photo(hall_id: str, username: str):
    """The enrolment photo of a candidate seated in the hall, for the seat map."""
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    name = halls.photo_of(db.session, hall=hall, username=username)
    if not name:
        abort(404)
    return send_from_directory(registration.photo_folder(), name, max_age=3600)


@bp.route("/halls/<hall_id>/report.pdf")
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_report(hall_id: str):
    """The printable hall report: seats and attendance, times, pauses, incidents, signatures."""
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    now = clock.now()
    pdf = documents.hall_report(hall, seats=halls.seat_map(db.session, hall=hall, now=now),
                                log=halls.incidents(db.session, hall=hall), now=now)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="hall-report-{hall.public_id}.pdf"'})


@bp.route("/halls/<hall_id>/pause", methods=["POST"])
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_pause(hall_id: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    form = PauseForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, halls.pause, hall=hall, reason=form.reason.data, actor=current_user,
                                now=clock.now())
        if ok:
            flash(_("The hall is paused: its clock has stopped and its pages take no answers."), "warning")
    else:
        flash(_("Give a reason."), "danger")
    return redirect(url_for("exam.hall", hall_id=hall.public_id))


@bp.route("/halls/<hall_id>/takeovers/<attempt_id>", methods=["POST"])
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_approve_takeover(hall_id: str, attempt_id: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    attempt = halls.attempt_in(db.session, hall=hall, public_id=attempt_id)
    form = ProctorActionForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.approve_takeover, attempt=attempt, actor=current_user,
                                now=clock.now())
        if ok:
            flash(_("The new computer holds the exam now; the old one stops saving."), "success")
    return redirect(url_for("exam.hall", hall_id=hall.public_id))


@bp.route("/halls/<hall_id>/unlock/<username>", methods=["POST"])
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_unlock_sign_in(hall_id: str, username: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    form = ProctorActionForm()
    if form.validate_on_submit():
        ok, user = commit_service(form, halls.unlock_sign_in, hall=hall, username=username, actor=current_user)
        if ok:
            flash(_("Sign-in of %(name)s is unlocked: failed attempts are forgotten.", name=user.username),
                  "success")
    return redirect(url_for("exam.hall", hall_id=hall.public_id))


@bp.route("/halls/<hall_id>/incidents", methods=["POST"])
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_incident(hall_id: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    form = IncidentForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, halls.log_incident, hall=hall, seat=form.seat.data, text=form.text.data,
                                actor=current_user, now=clock.now())
        if ok:
            flash(_("Incident recorded."), "success")
    else:
        flash(_("Say what happened (a seat number is optional)."), "danger")
    return redirect(url_for("exam.hall", hall_id=hall.public_id))


@bp.route("/halls/<hall_id>/compensate", methods=["POST"])
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_compensate(hall_id: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    return _compensate(hall.exam, url_for("exam.hall", hall_id=hall.public_id), hall_id=hall.id)


@bp.route("/halls/<hall_id>/attempts/<attempt_id>/force-submit", methods=["POST"])
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_force_submit(hall_id: str, attempt_id: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    attempt = halls.attempt_in(db.session, hall=hall, public_id=attempt_id)
    return _force_submit(attempt, url_for("exam.hall", hall_id=hall.public_id))


@bp.route("/halls/<hall_id>/attempts/<attempt_id>/reopen", methods=["POST"])
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_reopen(hall_id: str, attempt_id: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    attempt = halls.attempt_in(db.session, hall=hall, public_id=attempt_id)
    return _reopen(attempt, url_for("exam.hall", hall_id=hall.public_id))


@bp.route("/halls/<hall_id>/resume", methods=["POST"])
@roles(Role.INVIGILATOR, Role.ADMIN)
def hall_resume(hall_id: str):
    hall = halls.hall_for(db.session, public_id=hall_id, user=current_user)
    form = ProctorActionForm()
    if form.validate_on_submit():
        ok, moved = commit_service(form, halls.resume, hall=hall, actor=current_user, now=clock.now())
        if ok:
            flash(_("The exam goes on: %(n)d deadline(s) moved by the pause.", n=moved), "success")
    return redirect(url_for("exam.hall", hall_id=hall.public_id))

