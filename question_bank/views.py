"""Question bank pages: administrators maintain the bank; training-centre staff contribute drafts
and see only their own centre's questions."""

from __future__ import annotations

import re
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
from sqlalchemy import select

from accounts.models import Role
from core import nav, uploads
from core.access import authenticated, roles
from core.errors import DomainError
from core.excel import XLSX_MIME
from core.extensions import db
from core.web import commit_service, page_arg, show_error
from question_bank import qtypes, services, transfer
from question_bank.forms import BulkStatusForm, ConfirmImportForm, ImportForm, QuestionFilterForm, QuestionForm
from question_bank.models import (
    Level,
    Pool,
    Question,
    QuestionStatus,
    QuestionType,
    QuestionVersion,
    module_label,
    work_groups,
    work_label,
)
from question_bank.rules import MODULES
from question_bank.standard import MIN_EXAM_ITEMS, level_of

bp = Blueprint("question_bank", __name__, url_prefix="/question-bank")


@bp.app_template_global()
def question_editors() -> list[tuple[str, list]]:
    """The question form's answer groups: each type partial with the kinds that share it."""
    groups: dict[str, list] = {}
    for kind in qtypes.kinds():
        groups.setdefault(kind.template, []).append(kind)
    return list(groups.items())


@bp.app_template_global()
def key_text(version) -> str:
    """A version's key as one line in the reader's language (its kind writes it)."""
    return version.kind.format_key(version.answer, translate=_)


@bp.app_template_global()
def response_text(version, response) -> str:
    """A candidate's response to a version as one line in the reader's language; "—" for none."""
    return "—" if response is None else version.kind.format_response(response, translate=_)

nav.add("question_bank.index", _l("Question bank"), order=30, group="exams")

STAFF = (Role.ADMIN, Role.CENTRE_STAFF)
IMAGE_FOLDER = "questions"


def _is_admin() -> bool:
    return current_user.role is Role.ADMIN


def _own_centre_id() -> int | None:
    """None for administrators (every question); the staff member's centre otherwise."""
    return None if _is_admin() else current_user.centre_id


def _filters(form: QuestionFilterForm) -> services.Filters:
    if not form.validate():
        return services.Filters()
    return services.Filters(
        module=int(form.module.data) if form.module.data else None,
        level=form.level.data or None, type=form.type.data or None,
        difficulty=int(form.difficulty.data) if form.difficulty.data else None,
        status=form.status.data or None, tag=form.tag.data or None, q=form.q.data or None,
        work=form.work.data or None, review=bool(form.review.data),
    )


def _get_question(public_id: str) -> Question:
    question = db.first_or_404(select(Question).filter_by(public_id=public_id))
    if not _is_admin() and question.centre_id != current_user.centre_id:
        abort(404)  # another centre's question does not exist for this user
    return question


@bp.route("/")
@roles(*STAFF)
def index():
    filters = QuestionFilterForm(request.args)
    query = services.question_query(_filters(filters), centre_id=_own_centre_id(), session=db.session)
    export = request.args.get("format")
    if export:
        if not _is_admin():
            abort(403)
        return _export(db.session.scalars(query).unique().all(), export)
    page = db.paginate(query, page=page_arg(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    stats = services.pooled_stats(db.session, [q.current_version_id for q in page.items])
    return render_template("question_bank/index.html", page=page, filters=filters, stats=stats,
                           bulk=BulkStatusForm(), module_label=module_label, work_label=work_label)


def _export(questions, kind: str) -> Response:
    if kind == "json":
        return Response(transfer.json_bytes(questions), mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=question-bank.json"})
    if kind == "xlsx":
        return Response(transfer.template_bytes(questions), mimetype=XLSX_MIME,
                        headers={"Content-Disposition": "attachment; filename=question-bank.xlsx"})
    if kind == "moodle":
        return Response(transfer.moodle_xml_bytes(questions), mimetype="application/xml",
                        headers={"Content-Disposition": "attachment; filename=question-bank-moodle.xml"})
    abort(404)


@bp.route("/bulk-status", methods=["POST"])
@roles(Role.ADMIN)
def bulk_status():
    form = BulkStatusForm()
    ids = request.form.getlist("question")
    if not form.validate_on_submit() or not ids or not (form.status.data or form.pool.data):
        flash(_("Tick at least one question and choose a status or a pool."), "warning")
        return redirect(request.referrer or url_for("question_bank.index"))
    questions = db.session.scalars(select(Question).where(Question.public_id.in_(ids))).all()
    if form.status.data:
        ok, changed = commit_service(form, services.set_status, questions=questions,
                                     status=QuestionStatus(form.status.data), actor=current_user)
        if ok:
            flash(_("%(n)d question(s) set to “%(status)s”.", n=changed,
                    status=QuestionStatus(form.status.data).label), "success")
    if form.pool.data:
        ok, changed = commit_service(form, services.set_pool, questions=questions, pool=Pool(form.pool.data),
                                     actor=current_user)
        if ok:
            flash(_("%(n)d question(s) now in the pool “%(pool)s”.", n=changed, pool=Pool(form.pool.data).label),
                  "success")
    return redirect(request.referrer or url_for("question_bank.index"))


def _save_image(form: QuestionForm, current: str | None) -> tuple[bool, str | None]:
    if form.remove_image.data:
        return True, None
    if form.image.data:
        try:
            return True, uploads.save_image(form.image.data.read(), subfolder=IMAGE_FOLDER)
        except DomainError as exc:
            show_error(form, exc)
            return False, current
    return True, current


def _form_data(version: QuestionVersion) -> dict:
    data = {
        "type": version.type.value, "module": str(version.module), "level": version.level.value,
        "difficulty": str(version.difficulty), "stem": version.stem, "stem_en": version.stem_en or "",
        "explanation": version.explanation, "explanation_en": version.explanation_en or "",
        "tags": ", ".join(version.tags), "source": version.source, "work": version.question.work,
    }
    data.update(version.kind.form_data(version.options, version.answer))
    return data


@bp.route("/new", methods=["GET", "POST"])
@roles(*STAFF)
def create():
    form = QuestionForm(can_set_status=_is_admin())
    if form.validate_on_submit():
        ok, image = _save_image(form, None)
        content = form.content(image)
        if ok and form.check_content(content):
            status = QuestionStatus(form.status.data) if _is_admin() else QuestionStatus.DRAFT
            ok, question = commit_service(
                form, services.create_question, data=content, actor=current_user, status=status,
                centre=None if _is_admin() else current_user.centre,
            )
            if ok:
                flash(_("Question %(code)s created.", code=question.code), "success")
                return redirect(url_for("question_bank.edit", public_id=question.public_id))
    return render_template("question_bank/form.html", form=form, question=None)


@bp.route("/<public_id>", methods=["GET", "POST"])
@roles(*STAFF)
def edit(public_id: str):
    question = _get_question(public_id)
    version = question.current_version
    form = QuestionForm(data=_form_data(version), can_set_status=False)
    if form.validate_on_submit():
        try:
            services.check_may_edit(question, current_user)
        except DomainError as exc:
            show_error(form, exc)
        else:
            ok, image = _save_image(form, version.image)
            content = form.content(image)
            if ok and form.check_content(content):
                work_before = question.work
                ok, new = commit_service(form, services.revise_question, question=question,
                                         data=content, actor=current_user)
                if ok:
                    if new is None and question.work != work_before:
                        flash(_("The work content is saved; the content is unchanged, so no new version was made."),
                              "success")
                    elif new is None:
                        flash(_("Nothing changed; no new version was made."), "info")
                    else:
                        flash(_("Saved as version %(n)d.", n=new.number), "success")
                    return redirect(url_for("question_bank.edit", public_id=question.public_id))
    status_form = BulkStatusForm(formdata=None, data={"status": question.status.value})
    return render_template("question_bank/form.html", form=form, question=question, version=version,
                           module_label=module_label, status_form=status_form,
                           stats=services.question_stats(db.session, question))


@bp.route("/<public_id>/versions/<int:number>")
@roles(*STAFF)
def version(public_id: str, number: int):
    question = _get_question(public_id)
    shown = next((v for v in question.versions if v.number == number), None)
    if shown is None:
        abort(404)
    previous = next((v for v in question.versions if v.number == number - 1), None)
    diff = services.version_diff(previous, shown) if previous else []
    return render_template("question_bank/version.html", question=question, version=shown,
                           previous=previous, diff=diff, module_label=module_label)


@bp.route("/coverage")
@roles(*STAFF)
def coverage():
    pool = request.args.get("pool") if request.args.get("pool") in services.POOLS else "exam"
    counts = services.coverage(db.session, pool=pool)
    drafts = services.coverage(db.session, statuses=(QuestionStatus.DRAFT,), pool=pool)
    return render_template("question_bank/coverage.html", counts=counts, drafts=drafts, modules=MODULES, pool=pool,
                           levels=list(Level), types=list(QuestionType), module_label=module_label,
                           thin=current_app.config["QUESTION_BANK_THIN_CELL"],
                           work=services.work_coverage(db.session, pool=pool), work_groups=work_groups(),
                           work_level=level_of, work_minimum=MIN_EXAM_ITEMS)


@bp.route("/template.xlsx")
@roles(*STAFF)
def template():
    return Response(transfer.template_bytes(), mimetype=XLSX_MIME,
                    headers={"Content-Disposition": "attachment; filename=question-template.xlsx"})


# --- import: upload, dry run, confirm ------------------------------------------------------------

PARSED = ".parsed.json"  # an upload is read once, on arrival; its dry run waits in this form


def _stored_import(token: str) -> Path:
    path = uploads.stash_path(current_user.id, token, PARSED)
    if path is None or not path.exists():
        abort(404)
    return path


@bp.route("/import", methods=["GET", "POST"])
@roles(*STAFF)
def import_upload():
    form = ImportForm()
    if form.validate_on_submit():
        token = uploads.new_token()
        json_file = form.file.data.filename.lower().endswith(".json")
        parsed = (transfer.read_json if json_file else transfer.read_xlsx)(form.file.data.read())
        uploads.stash_path(current_user.id, token, PARSED).write_text(parsed.dumps(), encoding="utf-8")
        return redirect(url_for("question_bank.import_preview", token=token))
    return render_template("question_bank/import.html", form=form)


@bp.route("/import/<token>", methods=["GET", "POST"])
@roles(*STAFF)
def import_preview(token: str):
    path = _stored_import(token)
    plan = services.plan_import(db.session, transfer.ParsedFile.loads(path.read_text(encoding="utf-8")),
                                user=current_user)
    form = ConfirmImportForm()
    if form.validate_on_submit():
        ok, result = commit_service(
            form, services.apply_import, plan=plan, user=current_user,
            all_or_nothing=form.mode.data == "all", include_duplicates=form.include_duplicates.data,
        )
        if ok:
            path.unlink(missing_ok=True)
            flash(_("Imported: %(created)d new, %(revised)d revised, %(skipped)d skipped.",
                    created=result.created, revised=result.revised, skipped=result.skipped), "success")
            return redirect(url_for("question_bank.index"))
    db.session.rollback()  # the dry run never writes
    return render_template("question_bank/import_preview.html", plan=plan, form=form, token=token,
                           actions=services.RowAction)


@bp.route("/images/<name>")
@authenticated
def image(name: str):
    if not re.fullmatch(r"[0-9a-f]{32}\.png", name):
        abort(404)
    return send_from_directory(uploads.folder(IMAGE_FOLDER), name, max_age=7 * 24 * 3600)
