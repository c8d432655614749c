"""Objections and reviews during the publicity, a blueprint nested in certificates' (endpoints
certificates.objections.*): the candidate's form, the public form and receipt, and the
administrators' queue and review page. The rules are in certificates/objections.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from certificates import objections, rules
from certificates import results as result_services
from certificates.forms import AnswerForm, OwnObjectionForm, PublicObjectionForm, RecordObjectionForm
from certificates.models import ObjectionKind, ObjectionStatus, Result
from core import clock
from core.access import public, roles
from core.extensions import db
from core.forms import BaseForm, choices
from core.http import personal
from core.web import commit_service
from exam import reads as exam_reads
from registration.models import Event, Registration
from scoring import services as scoring

bp = Blueprint("objections", __name__)


def _result_of(registration_public_id: str) -> Result:
    return db.first_or_404(select(Result).join(Registration).where(Registration.public_id == registration_public_id))


def _objection(public_id: str):
    objection = objections.by_public_id(db.session, public_id)
    if objection is None:
        abort(404)
    return objection


# --- the candidate -------------------------------------------------------------------------------


@bp.route("/my-results/<registration_id>/objection", methods=["GET", "POST"])
@roles(Role.CANDIDATE)
def file_own(registration_id: str):
    result = _result_of(registration_id)
    if current_user.id not in (result.registration.user_id, result.registration.applicant_id):
        abort(404)
    form = OwnObjectionForm()
    parts = objections.parts(db.session, result)
    form.part.choices = choices(parts, blank=_("—"))
    now = clock.now()
    closed = objections.window_problem(db.session, result, now)
    if form.validate_on_submit() and not closed:
        ok, objection = commit_service(form, objections.file, result=result, kind=ObjectionKind(form.kind.data),
                                       part=form.part.data or "", reason=form.reason.data, filer=current_user,
                                       now=now)
        if ok:
            flash(_("Received. The answer is due by %(due)s; you will find it on this page.",
                    due=objections._when(objection.due_at)), "success")
            return redirect(url_for("certificates.mine"))
    publication = result_services.publication_of(db.session, result.registration.event)
    status = 400 if request.method == "POST" else 200
    return render_template("certificates/objection_file.html", form=form, result=result, closed=closed,
                           publication=publication, has_parts=bool(parts)), status


# --- anyone --------------------------------------------------------------------------------------


@bp.route("/results/<public_id>/objection", methods=["GET", "POST"])
@public
@personal
def file_public(public_id: str):
    event = db.first_or_404(select(Event).filter_by(public_id=public_id))
    publication = result_services.publication_of(db.session, event)
    if publication is None:
        abort(404)
    form = PublicObjectionForm()
    now = clock.now()
    closed = None if now < publication.ends_at else _("The publicity period has ended: objections are no longer "
                                                      "filed.")
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit() and not closed:
            result = objections.listed_result(db.session, event_id=event.id,
                                              candidate_number=form.candidate_number.data)
            if result is None:
                form.candidate_number.errors.append(_("No listed entry has this candidate number."))
            else:
                # A refusal (the per-address bound included) is shown on the form; nothing is kept.
                ok, objection = commit_service(form, objections.file, result=result, kind=ObjectionKind.OBJECTION,
                                               part="", reason=form.reason.data, name=form.name.data,
                                               contact=form.contact.data, address=request.remote_addr or "", now=now)
                if ok:
                    flash(_("Received. Keep this page's address: it shows the answer when it is given."), "success")
                    return redirect(url_for(".status", public_id=objection.public_id))
    return render_template("certificates/objection_public.html", form=form, event=event, publication=publication,
                           closed=closed), status


@bp.route("/objections/<public_id>")
@public
@personal
def status(public_id: str):
    """The filer's receipt: the state and, once given, the answer. The public id is the secret."""
    objection = _objection(public_id)
    return render_template("certificates/objection_status.html", objection=objection, mask=rules.mask_name,
                           part=objections.part_label(objection))


# --- administrators ------------------------------------------------------------------------------


@bp.route("/certificates/admin/objections")
@roles(Role.ADMIN)
def queue():
    wanted = request.args.get("status", "open")
    state = {s.value: s for s in ObjectionStatus}.get(wanted)
    event = db.session.scalar(select(Event).filter_by(public_id=request.args.get("event", ""))) \
        if request.args.get("event") else None
    rows = objections.queue(db.session, status=state, event_id=event.id if event else None)
    if wanted == "open":
        rows = [o for o in rows if o.status is not ObjectionStatus.ANSWERED]
    return render_template("certificates/objections_admin.html", rows=rows, wanted=wanted, event=event,
                           counts=objections.counts(db.session), now=clock.now(), part=objections.part_label,
                           statuses=ObjectionStatus)


@bp.route("/certificates/admin/objections/<public_id>")
@roles(Role.ADMIN)
def detail(public_id: str):
    objection = _objection(public_id)
    result = objection.result
    registration = result.registration
    paper = marks = task = None
    if objection.part == "theory" or (objection.kind is ObjectionKind.OBJECTION and result.theory is not None):
        paper = exam_reads.answered_paper(db.session, event_id=registration.event_id, user_id=registration.user_id)
    task = objections._task_of(db.session, objection)
    scheme = scoring.current_scheme(db.session, registration.event)
    if scheme is not None and (task is not None or objection.kind is ObjectionKind.OBJECTION):
        marks = scoring.candidate_marks(db.session, scheme=scheme, registration=registration, viewer=current_user)
    return render_template("certificates/objection_admin.html", objection=objection, result=result,
                           registration=registration, paper=paper, marks=marks, task=task,
                           part=objections.part_label(objection), action_form=BaseForm(), answer_form=AnswerForm(),
                           outcome=result_services.outcome(result, registration.event), now=clock.now())


ACTIONS = {"start": objections.start_review, "reopen": objections.reopen_task, "revise": objections.revise}


@bp.route("/certificates/admin/objections/<public_id>/<action>", methods=["POST"])
@roles(Role.ADMIN)
def act(public_id: str, action: str):
    objection = _objection(public_id)
    back = redirect(url_for(".detail", public_id=objection.public_id))
    if action == "answer":
        form = AnswerForm()
        if form.validate_on_submit():
            ok, _r = commit_service(form, objections.answer, objection=objection, text=form.answer.data,
                                    actor=current_user, now=clock.now())
            if ok:
                flash(_("Answered: the filer sees the answer now."), "success")
        else:
            flash(_("Write the answer the filer will read."), "danger")
        return back
    if action not in ACTIONS:
        abort(404)
    form = BaseForm()
    if form.validate_on_submit():
        ok, done = commit_service(form, ACTIONS[action], objection=objection, actor=current_user, now=clock.now())
        if ok:
            flash({"start": _("In review: the filer is told."),
                   "reopen": _("The task is reopened and the chief referee is told."),
                   "revise": _("The result is recomputed from the marks and the paper as they are now.")}[action],
                  "success")
    return back


@bp.route("/certificates/admin/results/<registration_id>/objection", methods=["POST"])
@roles(Role.ADMIN)
def record(registration_id: str):
    """An objection that reached the project centre by telephone or letter."""
    result = _result_of(registration_id)
    form = RecordObjectionForm()
    if form.validate_on_submit():
        ok, objection = commit_service(form, objections.file, result=result, kind=ObjectionKind.OBJECTION, part="",
                                       reason=form.reason.data, filer=current_user, name=form.name.data or "",
                                       contact=form.contact.data or "", now=clock.now())
        if ok:
            flash(_("Objection recorded: this result stays provisional until it is answered."), "success")
            return redirect(url_for(".detail", public_id=objection.public_id))
    for message in [m for errors in form.errors.values() for m in errors]:
        flash(message, "danger")
    return redirect(url_for("certificates.admin_event", public_id=result.registration.event.public_id))
