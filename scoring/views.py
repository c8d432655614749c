"""Practical scoring pages: the referee's assignments and the entry page (blind: station numbers
only), the event's scheme, stations and assignments, flags, locks, sign-offs and the board."""

from __future__ import annotations

import re
from decimal import Decimal

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role, User
from core import clock, nav, uploads
from core.access import roles
from core.errors import DomainError
from core.excel import XLSX_MIME, xlsx_response
from core.extensions import db
from core.web import commit_service
from registration.models import Event, Registration
from scoring import assignments, documents, reads, services, transfer, video
from scoring.forms import (
    AspectForm,
    AssignForm,
    ExpertForm,
    FlagForm,
    ReasonForm,
    TaskForm,
    VideoForm,
    VideoScoreForm,
    ViolationForm,
)
from scoring.models import (
    RUBRIC,
    AspectKind,
    Flag,
    MarkStatus,
    SignOff,
    Task,
    TeachingVideo,
    VideoExpert,
    VideoScore,
)

bp = Blueprint("scoring", __name__, url_prefix="/scoring")

nav.add("scoring.my_marking", _l("My marking"), order=40, group="practical")
nav.add("scoring.events", _l("Practical scoring"), order=41, group="practical")
nav.add("scoring.videos", _l("Teaching videos"), order=42, group="practical")

REFEREES = (Role.REFEREE, Role.CHIEF_REFEREE)
PANEL = (Role.ADMIN, Role.CHIEF_REFEREE)


def _event(public_id: str) -> Event:
    return db.first_or_404(select(Event).filter_by(public_id=public_id))


def _task(task_id: int) -> Task:
    return db.get_or_404(Task, task_id)


# --- referees ----------------------------------------------------------------------------------


@bp.route("/")
@roles(*REFEREES)
def my_marking():
    """The referee's stations, by event and task, each with its state; a locked task's signature."""
    return render_template("scoring/my_marking.html", groups=assignments.my_stations(db.session, current_user),
                           form=ReasonForm(), me=current_user)


def _station(task: Task, number: int):
    registration = services.registration_at(db.session, task, number)
    if registration is None:
        abort(404)
    if not services.is_assigned(db.session, task, current_user, registration):
        abort(403)  # a referee sees only their own stations
    return registration


@bp.route("/tasks/<int:task_id>/stations/<int:number>", methods=["GET", "POST"])
@roles(*REFEREES)
def entry(task_id: int, number: int):
    task = _task(task_id)
    registration = _station(task, number)
    problems: dict[int, str] = {}
    if request.method == "POST":
        form = ReasonForm()
        if not form.validate_on_submit():
            abort(400)
        entries = {a.id: (request.form.get(f"aspect_{a.id}", ""),
                          int(request.form[f"version_{a.id}"]) if request.form.get(f"version_{a.id}", "").isdecimal()
                          else None)
                   for a in task.aspects if a.kind is not AspectKind.DEDUCTION}
        submit = request.form.get("action") == "submit"
        try:
            services.save_marks(db.session, task=task, registration=registration, referee=current_user,
                                entries=entries, submit=submit, now=clock.now())
        except services.InvalidMarks as exc:
            db.session.rollback()
            problems = exc.problems
            flash(str(exc.message), "danger")
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            if submit:
                following = assignments.next_station(db.session, task=task, referee=current_user, number=number)
                flash(_("Marks submitted. Next station: %(n)d.", n=following) if following is not None
                      else _("Marks submitted. Every one of your stations in this task is complete."), "success")
            else:
                flash(_("Draft saved."), "success")
            return redirect(url_for("scoring.entry", task_id=task.id, number=number))
    marks = {(m.aspect_id, m.slot): m for m in services.marks_of(db.session, task, registration)}
    referees = services.referees_of(db.session, task, registration)
    all_in = {a.id: all((marks.get((a.id, r.id)) is not None and marks[(a.id, r.id)].status is MarkStatus.SUBMITTED)
                        for r in referees) for a in task.aspects if a.kind is AspectKind.JUDGEMENT}
    return render_template("scoring/entry.html", task=task, number=number, marks=marks, me=current_user,
                           referees=referees, all_in=all_in, problems=problems, form=ReasonForm(),
                           violation_form=ViolationForm(),
                           violations=services.violations_of(db.session, task, registration),
                           state=services.task_state(db.session, task, registration),
                           remarks=services.remark_requests(db.session, task, registration),
                           next_number=assignments.next_station(db.session, task=task, referee=current_user,
                                                             number=number),
                           posted=request.form if request.method == "POST" else {})


@bp.route("/tasks/<int:task_id>/stations/<int:number>/confirm", methods=["POST"])
@roles(*REFEREES)
def confirm(task_id: int, number: int):
    task = _task(task_id)
    registration = services.registration_at(db.session, task, number)
    if registration is None:
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        ok, n = commit_service(form, services.confirm_marks, task=task, registration=registration,
                               user=current_user, now=clock.now())
        if ok:
            flash(_("%(n)d mark(s) confirmed.", n=n), "success")
    return redirect(url_for("scoring.entry", task_id=task.id, number=number) if services.is_assigned(
        db.session, task, current_user, registration) else url_for("scoring.my_marking"))


@bp.route("/tasks/<int:task_id>/stations/<int:number>/violations", methods=["POST"])
@roles(*REFEREES)
def add_violation(task_id: int, number: int):
    task = _task(task_id)
    registration = _station(task, number)
    form = ViolationForm()
    aspect = next((a for a in task.aspects if a.id == form.aspect.data and a.kind is AspectKind.DEDUCTION), None)
    if form.validate_on_submit() and aspect is not None:
        ok, _v = commit_service(form, services.add_violation, aspect=aspect, registration=registration,
                                referee=current_user, points=form.points.data, reason=form.reason.data,
                                now=clock.now())
        if ok:
            flash(_("Deduction recorded."), "success")
    else:
        flash(_("Give the points (more than 0) and the reason."), "danger")
    return redirect(url_for("scoring.entry", task_id=task.id, number=number))


# --- the event's panel -------------------------------------------------------------------------


@bp.route("/events")
@roles(*PANEL)
def events():
    rows = db.session.scalars(select(Event).order_by(Event.registration_opens.desc())).all()
    return render_template("scoring/events.html", events=rows)


@bp.route("/events/<public_id>", methods=["GET", "POST"])
@roles(*PANEL)
def event(public_id: str):
    event = _event(public_id)
    scheme = services.current_scheme(db.session, event)
    if request.method == "POST":
        if current_user.role is not Role.ADMIN:
            abort(403)
        form = ReasonForm()
        action = request.form.get("action")
        if form.validate_on_submit():
            if action == "create" and scheme is None:
                ok, scheme = commit_service(form, services.create_scheme, event=event, actor=current_user)
            elif action == "lock" and scheme is not None:
                ok, _r = commit_service(form, services.lock_scheme, scheme=scheme, actor=current_user,
                                        now=clock.now())
            elif action in ("two_person_on", "two_person_off") and scheme is not None:
                ok, _r = commit_service(form, services.set_two_person, scheme=scheme,
                                        enabled=action == "two_person_on", actor=current_user)
            elif action == "new_version" and scheme is not None:
                ok, copy = commit_service(form, services.new_version, scheme=scheme, actor=current_user)
                if ok:
                    flash(_("Version %(v)d created; it is editable until locked.", v=copy.version), "success")
            elif action == "draw" and scheme is not None:
                ok, n = commit_service(form, services.draw_stations, scheme=scheme, actor=current_user)
                if ok:
                    flash(_("%(n)d station(s) drawn.", n=n), "success")
        return redirect(url_for("scoring.event", public_id=event.public_id))
    signoffs = db.session.scalars(select(SignOff).join(Task).where(Task.scheme_id == scheme.id)
                                  .order_by(SignOff.id)).all() if scheme else []
    show_grid = scheme is not None and scheme.locked_at is not None and current_user.role is Role.ADMIN
    return render_template(
        "scoring/event.html", event=event, scheme=scheme, form=ReasonForm(), assign_form=AssignForm(scheme=scheme),
        flag_form=FlagForm(), task_form=TaskForm(), aspect_form=AspectForm(), signoffs=signoffs,
        flags=services.flag_cards(db.session, scheme, current_user) if scheme else [],
        grid=assignments.assignment_grid(db.session, scheme) if show_grid else None,
        signatures=services.signature_state(db.session, scheme.tasks) if scheme else {},
        kinds=AspectKind.pairs(), stage_labels=services.STAGE_LABELS,
        problems=services.scheme_problems(scheme) if scheme else [],
        analytics=services.referee_analytics(db.session, scheme) if scheme else [],
        mismatches={s.id for t in (scheme.tasks if scheme else [])
                    for s in services.signature_mismatches(db.session, t)})


@bp.route("/events/<public_id>/tasks/<int:task_id>", methods=["POST"])
@roles(Role.ADMIN)
def edit_task(public_id: str, task_id: int):
    task = _task(task_id)
    form = TaskForm()
    if form.validate_on_submit():
        commit_service(form, services.save_task, task=task, name=form.name.data, max_points=form.max_points.data,
                       actor=current_user)
    return redirect(url_for("scoring.event", public_id=public_id))


@bp.route("/events/<public_id>/tasks/<int:task_id>/aspects", methods=["POST"])
@roles(Role.ADMIN)
def edit_aspect(public_id: str, task_id: int):
    task = _task(task_id)
    form = AspectForm()
    aspect = next((a for a in task.aspects if a.id == form.aspect.data), None) if form.aspect.data else None
    if request.form.get("delete") and aspect is not None:
        commit_service(form, services.delete_aspect, aspect=aspect, actor=current_user)
    elif form.validate_on_submit():
        ok, _a = commit_service(form, services.save_aspect, task=task, aspect=aspect, fields=form.fields(),
                                actor=current_user)
    else:
        _flash_errors(form)
    return redirect(url_for("scoring.event", public_id=public_id))


def _flash_errors(form) -> None:
    """A form's errors as messages, each with its field's label (for forms that redirect)."""
    for name, errors in form.errors.items():
        label = form[name].label.text if name in form else name
        flash(f"{label}: {' '.join(map(str, errors))}", "danger")


@bp.route("/events/<public_id>/assign", methods=["POST"])
@roles(Role.ADMIN)
def assign(public_id: str):
    event = _event(public_id)
    scheme = services.current_scheme(db.session, event)
    if scheme is None:
        abort(404)
    form = AssignForm(scheme=scheme)
    if form.validate_on_submit():
        referee = db.session.scalar(select(User).filter_by(username=form.referee.data.strip().lower()))
        task = next((t for t in scheme.tasks if t.id == int(form.task.data)), None)
        stations = parse_stations(form.stations.data)
        if referee is None or task is None or not stations:
            flash(_("Name an existing referee, a task and stations such as 1-5, 8."), "danger")
        else:
            ok, n = commit_service(form, services.assign, task=task, referee=referee, stations=stations,
                                   actor=current_user)
            if ok:
                flash(_("%(n)d station(s) assigned to %(name)s.", n=n, name=referee.full_name), "success")
    return redirect(url_for("scoring.event", public_id=event.public_id))


@bp.route("/events/<public_id>/assignments", methods=["POST"])
@roles(Role.ADMIN)
def assign_grid(public_id: str):
    """The referee × task grid in one form: a ticked cell means the referee marks every station of
    the task (assignments.assign_tasks)."""
    event = _event(public_id)
    scheme = services.current_scheme(db.session, event)
    if scheme is None:
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; reload the page and try again."), "danger")
        return redirect(url_for("scoring.event", public_id=event.public_id))
    cells = parse_cells(request.form.getlist("cell"))
    if cells is None:
        flash(_("The grid names a referee or a task that is not in this scheme; nothing was changed."), "danger")
        return redirect(url_for("scoring.event", public_id=event.public_id))
    ok, change = commit_service(form, assignments.assign_tasks, scheme=scheme, cells=cells, actor=current_user)
    if ok:
        flash(_("Assignments saved: %(added)d station(s) added, %(removed)d removed.", added=change.added,
                removed=change.removed), "success")
        for name, task, stations in change.skipped:
            flash(_("Conflict of interest: %(name)s comes from the training centre of the candidates at stations "
                    "%(stations)s of task %(task)d and was not assigned to them; assign another referee there.",
                    name=name, stations=", ".join(map(str, stations)), task=task), "warning")
    return redirect(url_for("scoring.event", public_id=event.public_id) + "#assignments")


def parse_cells(values: list[str]) -> set[tuple[int, int]] | None:
    """Grid cells as posted ("referee id:task id"), or None when one is not of that form."""
    cells = set()
    for value in values[:5000]:
        referee, sep, task = value.partition(":")
        if not (sep and referee.isdecimal() and task.isdecimal() and len(value) < 24):
            return None
        cells.add((int(referee), int(task)))
    return cells


def parse_stations(text: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"[,，\s]+", text or ""):
        if re.fullmatch(r"\d+-\d+", part):
            a, b = (int(x) for x in part.split("-"))
            numbers.extend(range(a, b + 1))
        elif part.isdigit():
            numbers.append(int(part))
    return sorted(set(numbers))[:500]


@bp.route("/flags/<int:flag_id>", methods=["POST"])
@roles(Role.CHIEF_REFEREE)
def decide_flag(flag_id: int):
    flag = db.get_or_404(Flag, flag_id)
    form = FlagForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.decide_flag, flag=flag, decision=form.decision.data,
                                note=form.note.data or "", chief=current_user, now=clock.now())
        if ok:
            flash(_("Decision recorded."), "success")
    return redirect(url_for("scoring.event", public_id=flag.aspect.task.scheme.event.public_id))


@bp.route("/tasks/<int:task_id>/lock", methods=["POST"])
@roles(Role.CHIEF_REFEREE)
def lock(task_id: int):
    task = _task(task_id)
    form = ReasonForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.lock_task, task=task, chief=current_user, now=clock.now())
        if ok:
            flash(_("Task %(n)d locked.", n=task.number), "success")
    return redirect(url_for("scoring.event", public_id=task.scheme.event.public_id))


@bp.route("/tasks/<int:task_id>/unlock", methods=["POST"])
@roles(Role.ADMIN)
def unlock(task_id: int):
    task = _task(task_id)
    form = ReasonForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.unlock_task, task=task, admin=current_user,
                                reason=form.reason.data or "", now=clock.now())
        if ok:
            flash(_("Task %(n)d unlocked.", n=task.number), "success")
    return redirect(url_for("scoring.event", public_id=task.scheme.event.public_id))


@bp.route("/tasks/<int:task_id>/sign/<stage>", methods=["POST"])
@roles(Role.ADMIN, Role.REFEREE, Role.CHIEF_REFEREE)
def sign(task_id: int, stage: str):
    task = _task(task_id)
    form = ReasonForm()
    if form.validate_on_submit():
        ok, _r = commit_service(form, services.sign_off, task=task, stage=stage, user=current_user, now=clock.now())
        if ok:
            flash(_("Signed."), "success")
    if stage == "referee" and current_user.role in REFEREES:
        return redirect(url_for("scoring.my_marking"))
    return redirect(url_for("scoring.event", public_id=task.scheme.event.public_id))


@bp.route("/events/<public_id>/scheme.xlsx", methods=["GET", "POST"])
@roles(Role.ADMIN)
def scheme_excel(public_id: str):
    event = _event(public_id)
    scheme = services.current_scheme(db.session, event)
    if scheme is None:
        abort(404)
    if request.method == "POST":
        form = ReasonForm()
        upload = request.files.get("sheet")
        if form.validate_on_submit() and upload is not None:
            ok, n = commit_service(form, transfer.import_scheme, scheme=scheme, data=upload.read(),
                                   actor=current_user)
            if ok:
                flash(_("Scheme imported: %(n)d aspects.", n=n), "success")
        return redirect(url_for("scoring.event", public_id=event.public_id))
    return Response(transfer.export(scheme), mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename=marking-scheme.xlsx"})


@bp.route("/events/<public_id>/candidates/<registration_id>")
@roles(*PANEL)
def candidate(public_id: str, registration_id: str):
    """A candidate's practical marks, task by task, and every change to them (blind tasks left out
    for the chief referee: services.blind)."""
    event = _event(public_id)
    scheme = services.current_scheme(db.session, event)
    registration = db.first_or_404(select(Registration).filter_by(public_id=registration_id, event_id=event.id))
    if scheme is None:
        abort(404)
    shown = services.candidate_marks(db.session, scheme=scheme, registration=registration, viewer=current_user)
    return render_template("scoring/candidate.html", event=event, scheme=scheme, r=registration, **shown)


# --- the staff group's teaching video ------------------------------------------------------------


@bp.route("/videos/submit/<registration_id>", methods=["GET", "POST"])
@roles(Role.CANDIDATE, Role.CENTRE_STAFF)
@uploads.larger_uploads("VIDEO_MAX_BYTES")
def video_submit(registration_id: str):
    registration = db.first_or_404(select(Registration).filter_by(public_id=registration_id))
    if not video.may_submit(registration, current_user):
        abort(403)
    form = VideoForm()
    current = db.session.scalar(select(TeachingVideo).filter_by(registration_id=registration.id))
    if form.validate_on_submit():
        data = form.video.data.read() if form.video.data else None
        ok, _v = commit_service(form, video.submit, registration=registration, user=current_user, data=data,
                                link=form.link.data or "", now=clock.now())
        if ok:
            flash(_("The teaching video is submitted."), "success")
            return redirect(url_for("scoring.video_submit", registration_id=registration.public_id))
    return render_template("scoring/video_submit.html", form=form, r=registration, current=current,
                           limit_mb=video.max_bytes() // (1024 * 1024))


@bp.route("/videos")
@roles(*REFEREES)
def videos():
    events = select(VideoExpert.event_id).where(VideoExpert.user_id == current_user.id)
    rows = db.session.scalars(select(TeachingVideo).join(Registration).where(Registration.event_id.in_(events))
                              .order_by(Registration.candidate_number)).all()
    mine = {s.video_id: s for s in db.session.scalars(select(VideoScore).filter_by(expert_id=current_user.id))}
    return render_template("scoring/videos.html", rows=rows, mine=mine)


def _video(public_id: str) -> TeachingVideo:
    item = db.first_or_404(select(TeachingVideo).filter_by(public_id=public_id))
    allowed = current_user.role is Role.ADMIN or video.is_expert(db.session, item.registration.event_id, current_user)
    if not allowed:
        abort(403)
    return item


@bp.route("/videos/<public_id>/score", methods=["GET", "POST"])
@roles(*REFEREES)
def video_score(public_id: str):
    item = _video(public_id)
    form = VideoScoreForm()
    if request.method == "POST":
        if form.validate_on_submit():
            ok, _s = commit_service(form, video.score, video=item, expert=current_user, values=request.form,
                                    now=clock.now())
            if ok:
                flash(_("Score saved."), "success")
                return redirect(url_for("scoring.videos"))
        else:
            _flash_errors(form)
    mine = db.session.scalar(select(VideoScore).filter_by(video_id=item.id, expert_id=current_user.id))
    return render_template("scoring/video_score.html", item=item, form=form, rubric=RUBRIC, mine=mine,
                           posted=request.form)


@bp.route("/videos/<public_id>/file")
@roles(Role.ADMIN, *REFEREES)
def video_file(public_id: str):
    item = _video(public_id)
    if not item.file:
        abort(404)
    return send_from_directory(uploads.folder(video.FOLDER), item.file, conditional=True)


@bp.route("/events/<public_id>/videos", methods=["GET", "POST"])
@roles(Role.ADMIN)
def event_videos(public_id: str):
    event = _event(public_id)
    form = ExpertForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            _flash_errors(form)
            return redirect(url_for("scoring.event_videos", public_id=event.public_id))
        expert = db.session.scalar(select(User).filter_by(username=form.expert.data.lower()))
        if expert is None:
            flash(_("No such user."), "danger")
        else:
            ok, _r = commit_service(form, video.assign_expert, event=event, user=expert, actor=current_user)
            if ok:
                flash(_("%(name)s is an expert for this event.", name=expert.full_name), "success")
        return redirect(url_for("scoring.event_videos", public_id=event.public_id))
    experts = db.session.scalars(select(VideoExpert).filter_by(event_id=event.id)).all()
    rows = db.session.scalars(select(TeachingVideo).join(Registration).where(Registration.event_id == event.id)).all()
    return render_template("scoring/event_videos.html", event=event, form=form, experts=experts, rows=rows,
                           mark=video.mark)


@bp.route("/tasks/<int:task_id>/sheet.pdf")
@roles(*PANEL)
def sheet(task_id: int):
    task = _task(task_id)
    return Response(documents.score_sheet(db.session, task), mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=task-{task.number}-sheet.pdf"})


@bp.route("/events/<public_id>/board")
@roles(*PANEL)
def board(public_id: str):
    event = _event(public_id)
    scheme = services.current_scheme(db.session, event)
    if scheme is None:
        abort(404)
    rows = services.board(db.session, scheme, viewer=current_user)
    if request.args.get("format") == "json":
        return jsonify({"rows": rows, "server_time": clock.now().isoformat()})
    return render_template("scoring/board.html", event=event, scheme=scheme, rows=rows)


@bp.route("/events/<public_id>/results.xlsx")
@roles(Role.ADMIN)
def results(public_id: str):
    event = _event(public_id)
    scheme = services.current_scheme(db.session, event)
    if scheme is None:
        abort(404)
    headers = [_("Candidate number"), _("Full name"), _("Training centre")] + [
        f"{t.number} {t.name}" for t in scheme.tasks] + [_("Practical total")]
    rows = []
    marking = reads.load(db.session, scheme.tasks)
    for registration in services.enrolled(db.session, event):
        scores = [marking.score(t, registration.id) for t in scheme.tasks]
        rows.append([registration.candidate_number, registration.full_name, registration.centre.name,
                     *[float(s) for s in scores], float(sum(scores, Decimal(0)))])
    return xlsx_response("practical-results.xlsx", _("Practical results"), headers, rows)



