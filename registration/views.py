"""Registration pages: events (administrators), the form (candidates and centre staff), the review
workflow, training hours, batch registration, tickets, the form as a PDF, check-in, the outbox."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
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
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from accounts.models import Role, TrainingCentre
from core import clock, home, nav, uploads
from core.access import roles
from core.errors import DomainError
from core.excel import XLSX_MIME, xlsx_response
from core.extensions import db
from core.forms import choices
from core.i18n import format_dt, local_to_utc
from core.notify import Notification
from core.web import commit_service, page_arg, show_error
from question_bank.models import Level
from registration import batch, documents, rules, services, slips
from registration.forms import (
    ActionForm,
    BatchForm,
    BulkForm,
    CheckInForm,
    EventForm,
    HoursForm,
    RegistrationFilterForm,
    RegistrationForm,
    ReturnForm,
    SessionForm,
)
from registration.models import Event, EventSession, Registration, State

bp = Blueprint("registration", __name__, url_prefix="/registration")

nav.add("registration.index", _l("Registrations"), order=25, group="events")
nav.add("registration.events", _l("Events"), order=24, group="events")
nav.add("registration.check_in", _l("Check-in"), order=26, group="events")
nav.add("registration.outbox", _l("Outbox"), order=91, group="system")

STAFF = (Role.ADMIN, Role.CENTRE_STAFF)
PEOPLE = (Role.ADMIN, Role.CENTRE_STAFF, Role.CANDIDATE)


def _registration(public_id: str) -> Registration:
    registration = db.first_or_404(select(Registration).filter_by(public_id=public_id))
    if not services.may_view(registration, current_user):
        abort(403)
    return registration


def _event(public_id: str) -> Event:
    return db.first_or_404(select(Event).filter_by(public_id=public_id))


# --- events ------------------------------------------------------------------------------------


@bp.route("/events")
@roles(*PEOPLE)
def events():
    rows = db.session.scalars(select(Event).order_by(Event.registration_opens.desc())).all()
    return render_template("registration/events.html", events=rows, now=clock.now())


@bp.route("/events/new", methods=["GET", "POST"], defaults={"public_id": None})
@bp.route("/events/<public_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def event_edit(public_id: str | None):
    event = _event(public_id) if public_id else None
    form = EventForm(obj=event)
    if form.validate_on_submit():
        ok, saved = commit_service(form, services.save_event, event=event, fields=form.fields(), actor=current_user)
        if ok:
            flash(_("Event saved."), "success")
            return redirect(url_for("registration.event", public_id=saved.public_id))
    return render_template("registration/event_form.html", form=form, event=event)


@bp.route("/events/<public_id>", methods=["GET", "POST"])
@roles(*PEOPLE)
def event(public_id: str):
    event = _event(public_id)
    form = SessionForm()
    if request.method == "POST":
        if current_user.role is not Role.ADMIN:
            abort(403)
        if form.validate_on_submit():
            ok, _s = commit_service(form, services.add_session, event=event, name=form.name.data,
                                    starts_at=local_to_utc(form.starts_at.data),
                                    ends_at=local_to_utc(form.ends_at.data),
                                    site=form.site.data, address=form.address.data or "", seats=form.seats.data,
                                    actor=current_user)
            if ok:
                flash(_("Session added."), "success")
                return redirect(url_for("registration.event", public_id=event.public_id))
    courses = rules.COURSES.get(event.level.value, ())
    return render_template("registration/event.html", event=event, form=form, courses=courses,
                           eligibility=services.eligibility_note(event), now=clock.now())


# --- the form ----------------------------------------------------------------------------------


def _centres():
    if current_user.role is Role.CENTRE_STAFF:
        return [current_user.centre]
    return db.session.scalars(select(TrainingCentre).where(TrainingCentre.active.is_(True))
                              .order_by(TrainingCentre.code)).all()


PENDING_PHOTO = "-photo"


def _pending_photo(token: str | None) -> Path | None:
    """Where a photo chosen on a refused submit waits (the user's own; None for a bad token)."""
    return uploads.stash_path(current_user.id, token, PENDING_PHOTO) if token else None


def _chosen_photo(form: RegistrationForm) -> bytes | None:
    """The photo of this submit: a file chosen now, else the one kept from a refused submit."""
    if form.photo.data:
        return form.photo.data.read()
    path = _pending_photo(form.photo_token.data)
    return path.read_bytes() if path is not None and path.is_file() else None


def _keep_photo(form: RegistrationForm, photo: bytes | None) -> None:
    """After a refused submit, keep its photo as a pending upload (bounded and checked by content
    as a saved photo is), so that the user does not choose it again; its token rides in the form."""
    if form.photo.data and photo and not form.photo.errors:
        limit = current_app.config["PHOTO_MAX_BYTES"]
        problem = (_("The photo is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)) if len(photo) > limit
                   else uploads.image_problem(photo))
        if problem:
            form.photo.errors = [*form.photo.errors, problem]
        else:
            token = uploads.new_token()
            _pending_photo(token).write_bytes(photo)
            form.photo_token.data = token
            return
    kept = _pending_photo(form.photo_token.data)
    if form.photo.data or kept is None or not kept.is_file():
        form.photo_token.data = ""


def _drop_pending_photo(form: RegistrationForm) -> None:
    path = _pending_photo(form.photo_token.data)
    if path is not None:
        path.unlink(missing_ok=True)


def _form_page(form: RegistrationForm, event: Event, registration: Registration | None, photo: bytes | None):
    if request.method == "POST":
        _keep_photo(form, photo)
    pending = url_for("registration.pending_photo", token=form.photo_token.data) if form.photo_token.data else None
    return render_template("registration/form.html", form=form, event=event, registration=registration,
                           eligibility=services.eligibility_note(event), field_labels=services.FIELD_LABELS,
                           pending_photo=pending)


def _save(form: RegistrationForm, event: Event, registration: Registration | None, photo: bytes | None):
    centre = next((c for c in _centres() if c.public_id == form.centre.data), None)
    if centre is None:
        form.centre.errors = [_("Choose a training centre.")]
        return None
    try:
        saved = services.save_registration(db.session, registration=registration, event=event, centre=centre,
                                           data=form.data_dict(), photo=photo, user=current_user, now=clock.now())
    except services.InvalidForm as exc:
        db.session.rollback()
        for name, message in exc.problems.items():
            if name in form:
                form[name].errors = [*form[name].errors, message]
        return None
    except services.NumberHeld as exc:  # refused; the administrators are told, and that is kept
        db.session.rollback()
        services.report_numbers_held(db.session, event=event, holders=[exc.holder], user=current_user,
                                     centre=centre)
        db.session.commit()
        show_error(form, exc)
        return None
    except DomainError as exc:
        db.session.rollback()
        show_error(form, exc)
        return None
    db.session.commit()
    return saved


@bp.route("/events/<public_id>/apply", methods=["GET", "POST"])
@roles(*PEOPLE)
def apply(public_id: str):
    event = _event(public_id)
    form = RegistrationForm(centres=_centres(), event=event)
    photo = _chosen_photo(form) if form.is_submitted() else None
    if form.validate_on_submit():
        saved = _save(form, event, None, photo)
        if saved is not None:
            _drop_pending_photo(form)
            flash(_("The form is saved as a draft. Check it, then submit it for review."), "success")
            return redirect(url_for("registration.detail", public_id=saved.public_id))
    return _form_page(form, event, None, photo)


@bp.route("/<public_id>/edit", methods=["GET", "POST"])
@roles(*PEOPLE)
def edit(public_id: str):
    registration = _registration(public_id)
    if registration.state not in services.EDITABLE or rules.Actor.APPLICANT not in services.actors(
            registration, current_user):
        abort(403)
    data = {name: getattr(registration, name) for name in Registration.FORM_FIELDS}
    data.update(gender=registration.gender.value, education=registration.education.value,
                group=registration.group.value if registration.group else "", centre=registration.centre.public_id)
    form = RegistrationForm(data=data, centres=_centres(), event=registration.event)
    photo = _chosen_photo(form) if form.is_submitted() else None
    if form.validate_on_submit():
        saved = _save(form, registration.event, registration, photo)
        if saved is not None:
            _drop_pending_photo(form)
            flash(_("Changes saved."), "success")
            return redirect(url_for("registration.detail", public_id=saved.public_id))
    return _form_page(form, registration.event, registration, photo)


@bp.route("/pending-photo/<token>")
@roles(*PEOPLE)
def pending_photo(token: str):
    """A photo kept from the user's own refused submit, for the form's preview."""
    path = _pending_photo(token)
    if path is None or not path.is_file():
        abort(404)
    data = path.read_bytes()  # checked as a JPEG or PNG, and bounded, when it was kept
    return Response(data, mimetype="image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png",
                    headers={"Cache-Control": "private, no-store"})


@bp.route("/<public_id>")
@roles(*PEOPLE)
def detail(public_id: str):
    registration = _registration(public_id)
    held = services.actors(registration, current_user)
    actions = [a for a in rules.actions_for(registration.state.value, held) if a not in ("expire", "return")]
    can_return = "return" in rules.actions_for(registration.state.value, held)
    history = services.history(db.session, registration, viewer=current_user)
    courses = rules.COURSES.get(registration.event.level.value, ())
    recorded = {r.course: r.hours for r in registration.hours}
    return render_template("registration/detail.html", r=registration, actions=actions, can_return=can_return,
                           action_form=ActionForm(), history=history, field_labels=services.FIELD_LABELS,
                           courses=courses, recorded=recorded, hours_form=HoursForm(),
                           can_record_hours=rules.Actor.CENTRE in held, mask_id=rules.mask_id)


@bp.route("/<public_id>/photo")
@roles(*PEOPLE)
def photo(public_id: str):
    registration = _registration(public_id)
    if not registration.photo:
        abort(404)
    return send_from_directory(uploads.folder(services.PHOTO_FOLDER), registration.photo, max_age=3600)


@bp.route("/<public_id>/act/<action>", methods=["POST"])
@roles(*PEOPLE)
def act(public_id: str, action: str):
    registration = _registration(public_id)
    form = ActionForm()
    if action not in {t.action for t in rules.TRANSITIONS} or action in ("return", "expire"):
        abort(404)
    if form.validate_on_submit():
        try:
            services.act(db.session, registration=registration, action=action, user=current_user, now=clock.now(),
                         comment=form.comment.data or "")
        except services.InvalidForm as exc:
            db.session.rollback()
            for name, message in exc.problems.items():
                flash(f"{services.FIELD_LABELS.get(name, name)}: {message}", "danger")
        except DomainError as exc:
            db.session.rollback()
            if exc.status_code == 403:
                abort(403)
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Done: the form is now “%(state)s”.", state=registration.state.label), "success")
    return redirect(url_for("registration.detail", public_id=registration.public_id))


@bp.route("/<public_id>/return", methods=["GET", "POST"])
@roles(Role.ADMIN, Role.CENTRE_STAFF)
def return_form(public_id: str):
    registration = _registration(public_id)
    if "return" not in rules.actions_for(registration.state.value, services.actors(registration, current_user)):
        abort(403)
    form = ReturnForm()
    if form.validate_on_submit():
        deadline = local_to_utc(form.deadline.data) if form.deadline.data else None
        ok, _r = commit_service(form, services.act, registration=registration, action="return", user=current_user,
                                now=clock.now(), corrections=form.corrections(request.form), deadline=deadline)
        if ok:
            flash(_("Returned with %(n)d correction(s); the applicant has been notified.",
                    n=len(registration.open_corrections)), "success")
            return redirect(url_for("registration.detail", public_id=registration.public_id))
    return render_template("registration/return.html", r=registration, form=form, fields=ReturnForm.fields())


@bp.route("/<public_id>/hours", methods=["POST"])
@roles(Role.CENTRE_STAFF)
def hours(public_id: str):
    registration = _registration(public_id)
    form = HoursForm()
    if form.validate_on_submit():
        values = {c.code: form[f"hours_{c.code}"].data for c in rules.COURSES.get(registration.event.level.value, ())
                  if form[f"hours_{c.code}"].data is not None}
        ok, _r = commit_service(form, services.record_hours, registration=registration, hours=values,
                                user=current_user, now=clock.now())
        if ok:
            flash(_("Training hours saved."), "success")
    else:
        flash(_("Hours must be numbers from 0 to 100."), "danger")
    return redirect(url_for("registration.detail", public_id=registration.public_id))


# --- batch registration ------------------------------------------------------------------------

def _batch_paths(token: str, event: Event) -> tuple[Path, Path]:
    """Where an upload's checked plan and its photos zip wait until the user confirms (for this event)."""
    plan, photos = (uploads.stash_path(current_user.id, token, f"-{event.public_id}{suffix}")
                    for suffix in (".plan.json", ".zip"))
    if plan is None:
        abort(404)
    return plan, photos


@bp.route("/events/<public_id>/batch", methods=["GET", "POST"])
@roles(Role.CENTRE_STAFF)
def batch_upload(public_id: str):
    event = _event(public_id)
    form = BatchForm()
    if form.validate_on_submit():
        token = uploads.new_token()
        plan_path, photos_path = _batch_paths(token, event)
        photos = form.photos.data.read() if form.photos.data else None
        plan = batch.check_upload(db.session, event=event, sheet=form.sheet.data.read(), photos=photos,
                                  user=current_user, today=clock.now().date())
        db.session.commit()  # only what check_upload reported to the administrators
        plan_path.write_text(plan.dumps(), encoding="utf-8")
        if plan.photos:
            photos_path.write_bytes(photos)
        return redirect(url_for("registration.batch_preview", public_id=event.public_id, token=token))
    return render_template("registration/batch.html", form=form, event=event)


@bp.route("/events/<public_id>/batch/template.xlsx")
@roles(Role.CENTRE_STAFF, Role.ADMIN)
def batch_template(public_id: str):
    _event(public_id)
    return Response(batch.template_bytes(), mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename=registration-template.xlsx"})


@bp.route("/events/<public_id>/batch/<token>", methods=["GET", "POST"])
@roles(Role.CENTRE_STAFF)
def batch_preview(public_id: str, token: str):
    event = _event(public_id)
    plan_path, photos_path = _batch_paths(token, event)
    if not plan_path.exists():
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():  # the photos are read again only now, to be imported
        plan = batch.Plan.load(plan_path, photos=photos_path)
        ok, created = commit_service(form, batch.apply, plan=plan, event=event, user=current_user, now=clock.now())
        if ok:
            plan_path.unlink(missing_ok=True)
            photos_path.unlink(missing_ok=True)
            flash(_("%(n)d candidate(s) registered as drafts. Check them and submit them for review.", n=created),
                  "success")
            return redirect(url_for("registration.index", event=event.public_id))
    else:
        plan = batch.Plan.load(plan_path)
    return render_template("registration/batch_preview.html", event=event, plan=plan, form=form, token=token,
                           labels=services.FIELD_LABELS, upload=BatchForm(formdata=None))


@bp.route("/events/<public_id>/batch/<token>/checked.xlsx")
@roles(Role.CENTRE_STAFF)
def batch_errors(public_id: str, token: str):
    """The checked upload as Excel: the rows as uploaded with their problems, to fix and upload again."""
    event = _event(public_id)
    plan_path, _photos = _batch_paths(token, event)
    if not plan_path.exists():
        abort(404)
    data = batch.errors_workbook(batch.Plan.load(plan_path), labels=services.FIELD_LABELS)
    return Response(data, mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename=registration-checked.xlsx"})


# --- lists -------------------------------------------------------------------------------------


def _filters() -> RegistrationFilterForm:
    filters = RegistrationFilterForm(request.args)
    filters.event.choices = choices(((e.public_id, e.name) for e in
                                     db.session.scalars(select(Event).order_by(Event.name))), blank=_("All"))
    filters.centre.choices = choices(((c.public_id, c.name) for c in db.session.scalars(
        select(TrainingCentre).order_by(TrainingCentre.code))), blank=_("All"))
    return filters


def _listed(filters: RegistrationFilterForm):
    """The forms the list shows the user with these filters (their centre's, their own), with the
    event and the centre loaded in the same statement: a page's statements do not grow with its rows."""
    query = (select(Registration).join(Event).options(contains_eager(Registration.event),
                                                      joinedload(Registration.centre))
             .order_by(Registration.created_at.desc(), Registration.id.desc()))
    if current_user.role is Role.CENTRE_STAFF:
        query = query.where(Registration.centre_id == current_user.centre_id)
    elif current_user.role is Role.CANDIDATE:
        query = query.where(or_(Registration.applicant_id == current_user.id, Registration.user_id == current_user.id))
    if filters.validate():
        if filters.q.data:
            like = f"%{filters.q.data}%"
            query = query.where(or_(Registration.full_name.ilike(like), Registration.candidate_number.ilike(like),
                                    Registration.id_number.ilike(like)))
        if filters.state.data:
            query = query.where(Registration.state == State(filters.state.data))
        if filters.level.data:
            query = query.where(Event.level == Level(filters.level.data))
        if filters.event.data:
            query = query.where(Event.public_id == filters.event.data)
        if filters.centre.data:
            query = query.where(Registration.centre.has(public_id=filters.centre.data))
    return query


def _export(registrations) -> Response:
    headers = [_("Event"), _("Training centre"), _("Full name"), _("Gender"), _("ID number"), _("Phone"),
               _("E-mail"), _("Education"), _("State"), _("Candidate number"), _("Session"), _("Seat"),
               _("Submitted"), _("Checked in")]
    rows = ((r.event.name, r.centre.name, r.full_name, r.gender.label, r.id_number, r.phone, r.email,
             r.education.label, r.state.label, r.candidate_number or "", str(r.session or ""), r.seat or "",
             format_dt(r.submitted_at), format_dt(r.checked_in_at)) for r in registrations)
    return xlsx_response("registrations.xlsx", _("Registrations"), headers, rows)


def _bulk_actions() -> list[str]:
    if current_user.role is Role.CENTRE_STAFF:
        return ["submit", "approve", "return", "tickets", "export"]
    if current_user.role is Role.ADMIN:
        return ["approve", "return", "enrol", "assign_session", "tickets", "export"]
    return []


def _sessions(filters: RegistrationFilterForm) -> list[EventSession]:
    query = select(EventSession).join(Event).options(contains_eager(EventSession.event)).order_by(
        Event.name, EventSession.starts_at)
    if filters.event.data:
        query = query.where(Event.public_id == filters.event.data)
    return db.session.scalars(query).all()


@bp.route("/")
@roles(*PEOPLE)
def index():
    filters = _filters()
    query = _listed(filters)
    if request.args.get("format") == "xlsx" and current_user.role is not Role.CANDIDATE:
        return _export(db.session.scalars(query.options(selectinload(Registration.session))).unique())
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    bulk_actions = _bulk_actions()
    bulk_form = BulkForm(formdata=None)
    if "assign_session" in bulk_actions:
        bulk_form.event_session.choices = choices(((s.id, f"{s.event.name} · {s}") for s in _sessions(filters)),
                                                  blank="—")
    return render_template("registration/index.html", page=page, filters=filters, bulk_actions=bulk_actions,
                           bulk_form=bulk_form, correctable=ReturnForm.fields(), bulk_max=services.BULK_MAX)


@bp.route("/bulk", methods=["POST"])
@roles(*STAFF)
def bulk():
    """One action on the forms ticked in the list, or on every form its filter finds (the filter
    rides in the query string, as on the list). Each form goes through its own service; the
    refused ones are skipped and reported, the others are committed together."""
    filters = _filters()
    back = url_for("registration.index", **request.args)
    form = BulkForm()
    if not form.validate_on_submit() or form.action.data not in _bulk_actions():
        flash(_("Choose an action and at least one registration."), "danger")
        return redirect(back)
    query = _listed(filters)
    if form.scope.data != "all":
        query = query.where(Registration.public_id.in_((form.ids.data or [])[: services.BULK_MAX + 1]))
    query = query.options(selectinload(Registration.session), selectinload(Registration.corrections),
                          selectinload(Registration.hours), joinedload(Registration.applicant),
                          joinedload(Registration.user))
    chosen = db.session.scalars(query.limit(services.BULK_MAX + 1)).unique().all()
    if not chosen:
        flash(_("Select at least one registration."), "danger")
        return redirect(back)
    if len(chosen) > services.BULK_MAX:
        flash(_("At most %(n)d forms at once: narrow the filter.", n=services.BULK_MAX), "danger")
        return redirect(back)
    if form.action.data == "export":
        return _export(chosen)
    if form.action.data == "tickets":
        enrolled = [r for r in chosen if r.state is State.ENROLLED]
        if not enrolled:
            flash(_("None of the selected candidates is enrolled: there is no ticket to print."), "danger")
            return redirect(back)
        pdf = documents.admission_tickets(enrolled, check_in_url=services.check_in_url,
                                          sign_in_url=services.sign_in_url(),
                                          photo_folder=uploads.folder(services.PHOTO_FOLDER))
        return Response(pdf, mimetype="application/pdf", headers={
            "Content-Disposition": f"inline; filename=tickets-{len(enrolled)}.pdf"})
    event_session = None
    chosen_session = form.event_session.data or ""
    if form.action.data == "assign_session" and chosen_session.isdigit():
        event_session = db.session.get(EventSession, int(chosen_session))
    deadline = local_to_utc(form.deadline.data) if form.deadline.data else None
    try:
        result = services.bulk_act(db.session, registrations=chosen, action=form.action.data, user=current_user,
                                   now=clock.now(), comment=form.comment.data or "",
                                   corrections=form.bulk_corrections(request.form), deadline=deadline,
                                   event_session=event_session)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(back)
    db.session.commit()
    return render_template("registration/bulk_result.html", result=result, back=back,
                           event_session=event_session)


# --- documents ---------------------------------------------------------------------------------


@bp.route("/<public_id>/ticket.pdf")
@roles(*PEOPLE)
def ticket(public_id: str):
    registration = _registration(public_id)
    if registration.state is not State.ENROLLED:
        abort(404)
    pdf = documents.admission_ticket(registration, check_in_url=services.check_in_url(registration),
                                     sign_in_url=services.sign_in_url(),
                                     photo_folder=uploads.folder(services.PHOTO_FOLDER))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=ticket-{registration.candidate_number}.pdf"})


@bp.route("/<public_id>/form.pdf")
@roles(*PEOPLE)
def form_pdf(public_id: str):
    registration = _registration(public_id)
    pdf = documents.registration_form(registration, photo_folder=uploads.folder(services.PHOTO_FOLDER))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=registration-{registration.public_id}.pdf"})


# --- exam day ----------------------------------------------------------------------------------


@bp.route("/check-in", methods=["GET", "POST"])
@roles(Role.ADMIN)
def check_in():
    form = CheckInForm()
    if form.validate_on_submit():
        found = db.session.scalar(select(Registration).filter_by(candidate_number=form.number.data.strip().upper()))
        if found is None:
            form.number.errors = [_("No enrolled candidate has this number.")]
        else:
            return redirect(url_for("registration.check_in_candidate", public_id=found.public_id))
    return render_template("registration/check_in.html", form=form)


@bp.route("/check-in/<public_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def check_in_candidate(public_id: str):
    registration = db.first_or_404(select(Registration).filter_by(public_id=public_id))
    form = ActionForm()
    if form.validate_on_submit():
        ok, first = commit_service(form, services.check_in, registration=registration, user=current_user,
                                   now=clock.now())
        if ok:
            flash(_("Checked in.") if first else _("Already checked in at %(time)s.",
                                                   time=format_dt(registration.checked_in_at)),
                  "success" if first else "warning")
        return redirect(url_for("registration.check_in"))
    return render_template("registration/check_in_candidate.html", r=registration, form=form, mask_id=rules.mask_id)


@bp.route("/outbox")
@roles(Role.ADMIN)
def outbox():
    """The notifications the platform made, newest first, searchable by recipient or subject (a
    centre asking whether a candidate was told). A sensitive body (an initial password) is never shown."""
    q = (request.args.get("q") or "").strip()[:100]
    query = select(Notification).order_by(Notification.id.desc()).limit(200)
    if q:
        query = query.where(or_(Notification.email.contains(q, autoescape=True),
                                Notification.subject.contains(q, autoescape=True)))
    return render_template("registration/outbox.html", rows=db.session.scalars(query).all(), q=q)



# --- account handover ----------------------------------------------------------------------------


def _centre_scope() -> int | None:
    """Centre staff hand over their own candidates' accounts; the administrator, any."""
    return current_user.centre_id if current_user.role is Role.CENTRE_STAFF else None


@bp.route("/events/<public_id>/slips", methods=["GET", "POST"])
@roles(*STAFF)
def slips_page(public_id: str):
    """The event's account slips: download them once (PDF to print and cut, or Excel), or issue new
    passwords for accounts never used."""
    event = _event(public_id)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        what = request.form.get("what")
        if what == "reissue":
            ok, n = commit_service(form, slips.reissue, event=event, actor=current_user, now=clock.now(),
                                   centre_id=_centre_scope())
            if ok:
                flash(_("%(n)d new initial passwords issued: download their slips.", n=n), "success")
        elif what in ("pdf", "xlsx"):
            ok, lines = commit_service(form, slips.hand_over, event=event, actor=current_user, now=clock.now(),
                                       centre_id=_centre_scope())
            if ok:
                return _slips_file(event, lines, what)
        return redirect(url_for("registration.slips_page", public_id=event.public_id))
    rows = slips.slips(db.session, event=event, centre_id=_centre_scope())
    return render_template("registration/slips.html", event=event, rows=rows, form=form,
                           pending=sum(1 for r in rows if r.secret), sign_in_url=services.sign_in_url())


def _slips_file(event: Event, lines, what: str) -> Response:
    if what == "xlsx":
        sign_in = services.sign_in_url()
        return xlsx_response(f"account-slips-{event.code}.xlsx", _("Account slips"),
                             [_("Full name"), _("Candidate number"), _("Training centre"), _("Username"),
                              _("Initial password"), _("Sign in at")],
                             ((x.full_name, x.candidate_number, x.centre, x.username, x.password, sign_in)
                              for x in lines))
    pdf = slips.slips_pdf(lines, event_name=event.name, sign_in_url=services.sign_in_url())
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=account-slips-{event.code}.pdf", "Cache-Control": "no-store"})


# --- the centre's home panel -----------------------------------------------------------------------


@home.panel("registration/_home_centre.html", roles=(Role.CENTRE_STAFF,), order=10)
def centre_panel(user) -> dict | None:
    if user.centre_id is None:
        return None
    return {"digest": services.centre_digest(db.session, user.centre_id), "now": clock.now()}
