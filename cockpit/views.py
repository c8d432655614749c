"""The event cockpit page (/events/<code>) and its action, and the home page's panels of events."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from certificates import services as certificate_services
from cockpit import rules, services
from core import clock, home
from core.access import roles
from core.extensions import db
from core.forms import BaseForm
from core.web import commit_service
from exam.models import ExamStatus
from question_bank.models import module_label
from registration import rules as registration_rules
from registration import services as registration_services
from registration.models import Event

bp = Blueprint("cockpit", __name__, url_prefix="/events")

STEP_LABELS = {
    rules.Step.REGISTRATION: _l("Sign-up"), rules.Step.REVIEW: _l("Form review"),
    rules.Step.ENROLMENT: _l("Enrolment"), rules.Step.EXAM: _l("Theory exam"),
    rules.Step.PRACTICAL: _l("Practical tasks"), rules.Step.RESULTS: _l("Results"),
    rules.Step.PUBLICITY: _l("Publicity"), rules.Step.CERTIFICATES: _l("Certificates"),
}
STATUS_LABELS = {rules.Status.DONE: _l("Done"), rules.Status.CURRENT: _l("Now"), rules.Status.TODO: _l("To come")}
BLOCKER_LABELS = {
    "awaiting_centre": _l("%(n)d forms wait for their training centre's review"),
    "awaiting_project": _l("%(n)d forms wait for the project office's review"),
    "returned": _l("%(n)d forms are back with their centres for correction"),
    "approved": _l("%(n)d approved candidates are not enrolled yet"),
    "without_seat": _l("%(n)d enrolled candidates have no seat (add a session or seats)"),
    "without_photo": _l("%(n)d enrolled candidates have no photo (a certificate needs one)"),
    "no_exam": _l("The event has no theory exam yet"),
    "exams_draft": _l("%(n)d exams are still drafts (not published)"),
    "exams_open": _l("%(n)d exams are open or to come"),
    "in_progress": _l("%(n)d candidates are answering now"),
    "not_released": _l("%(n)d exams are over and their results not released"),
    "no_scheme": _l("No marking scheme yet"),
    "scheme_open": _l("The marking scheme is not locked"),
    "stations_not_drawn": _l("Stations are not drawn"),
    "marks_missing": _l("%(n)d marks are missing"),
    "flags_open": _l("%(n)d divergent marks wait for the chief referee"),
    "tasks_open": _l("%(n)d tasks are not locked"),
    "lacking": _l("%(n)d candidates lack a part (absent or incomplete)"),
    "objections_open": _l("%(n)d objections are open"),
}


def _event(code: str) -> Event:
    return db.first_or_404(select(Event).filter_by(code=code))


def _links(event: Event) -> dict[str, str]:
    """Where the work of each blocker is done."""
    forms = url_for("registration.index", event=event.public_id)
    scoring = url_for("scoring.event", public_id=event.public_id)
    exams = url_for("exam.admin_index")
    return {
        "awaiting_centre": url_for("registration.index", event=event.public_id, state="submitted"),
        "awaiting_project": url_for("registration.index", event=event.public_id, state="centre_approved"),
        "returned": url_for("registration.index", event=event.public_id, state="returned"),
        "approved": url_for("registration.index", event=event.public_id, state="approved"),
        "without_seat": url_for("registration.event", public_id=event.public_id),
        "without_photo": url_for("registration.index", event=event.public_id, state="enrolled"),
        "no_exam": exams, "exams_draft": exams, "exams_open": exams, "in_progress": url_for("exam.halls_index"),
        "not_released": exams, "no_scheme": scoring, "scheme_open": scoring, "stations_not_drawn": scoring,
        "marks_missing": url_for("scoring.board", public_id=event.public_id), "flags_open": scoring,
        "tasks_open": scoring, "lacking": url_for("certificates.admin_event", public_id=event.public_id),
        "objections_open": url_for("certificates.objections.queue", event=event.public_id),
        "forms": forms,
    }


def _confirmation(view: services.Cockpit, action: str) -> str:
    """What the action will do, in words, for its confirmation dialog."""
    f = view.facts
    enrolled = f.forms.get("enrolled", 0)
    if action == "enrol":
        return _("Enrol %(n)d approved candidates: each gets a candidate number, an exam account, a seat and a place "
                 "on the event's exams.", n=f.approved[0])
    if action == "compute":
        return _("Compute results for %(n)d enrolled candidates; %(absent)d have handed in no exam and %(marks)d "
                 "practical marks are missing.", n=enrolled, absent=max(0, enrolled - f.submitted),
                 marks=f.marks_missing)
    if action == "publish":
        return _("Publish results for %(n)d candidates for %(days)d working days of publicity; %(k)d lack a part "
                 "(absent or incomplete). They can no longer be recomputed.", n=sum(f.results.values()),
                 days=view.publicity_days, k=f.lacking[0])
    return _("Issue %(n)d certificates to the candidates who passed; each gets a PDF and a QR code.",
             n=max(0, f.passed - f.certificates))


@bp.route("/<code>")
@roles(Role.ADMIN)
def event(code: str):
    event = _event(code)
    view = services.cockpit(db.session, event=event, now=clock.now())
    confirmations = {s.action: _confirmation(view, s.action) for s in view.stages if s.action}
    return render_template("cockpit/event.html", event=event, view=view, links=_links(event), form=BaseForm(),
                           step_labels=STEP_LABELS, status_labels=STATUS_LABELS, blocker_labels=BLOCKER_LABELS,
                           confirmations=confirmations, histogram=rules.histogram,
                           pass_rates=rules.pass_rates(r for r in view.results.rows if r.total is not None),
                           batch=certificate_services.latest_batch(db.session, event),
                           module_label=module_label, exam_status_labels=dict(ExamStatus.pairs()))


ACTION_DONE = {
    "enrol": _l("%(n)d candidates enrolled."), "compute": _l("Results computed for %(n)d candidates."),
    "publish": _l("Results published for publicity (%(n)d candidates)."),
    "issue": _l("Issuing %(n)d certificates has started; the progress shows below."),
}


@bp.route("/<code>/advance", methods=["POST"])
@roles(Role.ADMIN)
def advance(code: str):
    event = _event(code)
    form = BaseForm()
    action = request.form.get("action", "")
    if action not in services.ACTIONS:
        abort(400)
    if form.validate_on_submit():
        ok, done = commit_service(form, services.advance, event=event, action=action, actor=current_user,
                                  now=clock.now())
        if ok:
            flash(ACTION_DONE[action] % {"n": done.count}, "success")
            if done.skipped:
                flash(_("%(n)d skipped: %(who)s", n=len(done.skipped), who="; ".join(done.skipped[:10])
                        + ("…" if len(done.skipped) > 10 else "")), "warning")
    else:
        flash(_("The form expired: reload the page and try again."), "danger")
    return redirect(url_for("cockpit.event", code=event.code))


# --- the home page -------------------------------------------------------------------------------

HOME_STAGE_LABELS = {
    "open": _l("Open for registration"), "registration": _l("Registration and review"),
    "assessment": _l("Exam and practical"), "computed": _l("Results computed"),
    "publicity": _l("Results in publicity"), "final": _l("Results final"), "certified": _l("Certificates issued"),
}


@home.panel("cockpit/_home_events.html", roles=(Role.ADMIN,), order=10)
def events_panel(user) -> dict | None:
    """The administrator's events, newest first, each with its stage and counts: a fixed number of
    statements however many events and candidates there are."""
    events = db.session.scalars(select(Event).order_by(Event.registration_opens.desc()).limit(20)).all()
    if not events:
        return None
    ids = [e.id for e in events]
    forms = registration_services.counts_by_event(db.session, ids)
    results = certificate_services.counts_by_event(db.session, ids)
    return {"events": [{"event": e, "progress": registration_rules.event_progress(forms[e.id], results[e.id])}
                       for e in events], "stage_labels": HOME_STAGE_LABELS}
