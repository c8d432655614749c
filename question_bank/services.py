"""Question bank services: create, revise (a new immutable version), status, queries, coverage,
version diffs and the import plan. They flush and write the audit log, never commit."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from accounts.models import TrainingCentre, User
from core import audit
from core.errors import DomainError, NotAllowed
from question_bank import analysis, rules
from question_bank.messages import problem_message
from question_bank.models import (
    Level,
    Pool,
    Question,
    QuestionStat,
    QuestionStatus,
    QuestionType,
    QuestionVersion,
)
from question_bank.standard import LEVEL_LETTER
from question_bank.transfer import ParsedFile, ParsedRow

audit.describe({
    "question.create": _l("Question written"), "question.revise": _l("Question revised (new version)"),
    "question.import": _l("Questions imported"), "question.draft": _l("Question set to draft"),
    "question.active": _l("Question activated"), "question.retired": _l("Question retired"),
    "question.pool": _l("Question's pool changed"), "question.work": _l("Question's work content changed"),
})

CODE_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$")


class InvalidQuestion(DomainError):
    def __init__(self, problems: list[rules.Problem]):
        self.problems = problems
        super().__init__(_l("The question is not valid: %(details)s",
                            details="; ".join(str(problem_message(p)) for p in problems)))


# --- content -----------------------------------------------------------------------------------


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def normalise_content(data: dict) -> dict:
    """The content fields of interchange data, with defaults and stripped text."""
    content = {f: data.get(f) for f in QuestionVersion.CONTENT_FIELDS}
    for key in ("stem", "stem_en", "explanation", "explanation_en", "image"):
        content[key] = _clean(content[key])
    content["source"] = _clean(content["source"]) or ""
    content["options"] = [
        {"key": o.get("key"), "text": _clean(o.get("text")), "text_en": _clean(o.get("text_en"))}
        if isinstance(o, dict) else o
        for o in (content["options"] or [])
    ]
    content["tags"] = [t.strip() for t in (content["tags"] or []) if isinstance(t, str) and t.strip()]
    return content


def content_hash(content: dict) -> str:
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def validate_content(content: dict, *, work: str | None = None, pool: str | None = None) -> None:
    problems = rules.validate({**content, "work": work, "pool": pool})
    if problems:
        raise InvalidQuestion(problems)


def given_pool(data: dict) -> str | None:
    """The pool the data gives, or None when it gives none (the question's pool stays)."""
    pool = data.get("pool")
    return pool.strip() if isinstance(pool, str) else pool


def given_work(data: dict) -> str | None:
    """The work content the data gives (stripped), or None when it gives none: a file without the
    column leaves a question's work content as it is."""
    work = data.get("work")
    return work.strip() if isinstance(work, str) else work


class CodeAllocator:
    """Next free code per module and level (M1-J-001, ...), counting codes handed out already."""

    def __init__(self, session: Session):
        self.session = session
        self.taken: set[str] = set(session.scalars(select(Question.code)))
        self.next: dict[str, int] = {}

    def reserve(self, code: str) -> None:
        self.taken.add(code)

    def allocate(self, module: int, level: str) -> str:
        prefix = f"M{module}-{LEVEL_LETTER.get(level, 'X')}-"
        n = self.next.get(prefix, 1)
        while f"{prefix}{n:03d}" in self.taken:
            n += 1
        code = f"{prefix}{n:03d}"
        self.taken.add(code)
        self.next[prefix] = n + 1
        return code


def _new_version(question: Question, content: dict, number: int, actor: User | None) -> QuestionVersion:
    return QuestionVersion(
        question=question,
        number=number,
        type=QuestionType(content["type"]),
        module=content["module"],
        level=Level(content["level"]),
        difficulty=content["difficulty"],
        stem=content["stem"],
        stem_en=content["stem_en"],
        options=content["options"],
        answer=content["answer"],
        explanation=content["explanation"],
        explanation_en=content["explanation_en"],
        tags=content["tags"],
        tags_text="".join(f"|{t}" for t in content["tags"]) + ("|" if content["tags"] else ""),
        source=content["source"],
        image=content["image"],
        content_hash=content_hash(content),
        created_by_id=getattr(actor, "id", None),
    )


def create_question(
    session: Session,
    *,
    data: dict,
    actor: User | None,
    status: QuestionStatus = QuestionStatus.DRAFT,
    code: str | None = None,
    centre: TrainingCentre | None = None,
    codes: CodeAllocator | None = None,
) -> Question:
    content = normalise_content(data)
    work = given_work(data) or ""
    pool = given_pool(data) or Pool.BOTH.value
    validate_content(content, work=work, pool=pool)
    codes = codes or CodeAllocator(session)
    if code:
        if not CODE_RULE.match(code):
            raise DomainError(_l("A question code has 1-30 letters, digits, dots, dashes or underscores."),
                              field="code")
        if code in codes.taken:
            raise DomainError(_l("The code %(code)s is taken.", code=code), field="code")
        codes.reserve(code)
    else:
        code = codes.allocate(content["module"], content["level"])
    question = Question(code=code, status=status, centre=centre, work=work, pool=Pool(pool),
                        created_by_id=getattr(actor, "id", None))
    version = _new_version(question, content, 1, actor)
    session.add_all([question, version])
    session.flush()
    question.current_version = version
    session.flush()
    audit.record(session, "question.create", target=question, actor=actor,
                 after={"code": code, "status": status.value, "version": 1, "work": work, "pool": pool})
    return question


def revise_question(session: Session, *, question: Question, data: dict,
                    actor: User | None) -> QuestionVersion | None:
    """A new version when the content changed; None (and no version written) when it did not.
    The work content given with the data is set on the question (it makes no version)."""
    content = normalise_content(data)
    work, pool = given_work(data), given_pool(data)
    validate_content(content, work=question.work if work is None else work, pool=pool)
    if work is not None:
        set_work(session, question=question, work=work, actor=actor)
    if pool is not None:
        set_pool(session, questions=[question], pool=Pool(pool), actor=actor)
    current = question.current_version
    if current is not None and current.content_hash == content_hash(content):
        return None
    number = (current.number if current else 0) + 1
    version = _new_version(question, content, number, actor)
    session.add(version)
    session.flush()
    question.current_version = version
    question.updated_at = version.created_at
    session.flush()
    audit.record(session, "question.revise", target=question, actor=actor,
                 before={"version": number - 1}, after={"version": number},
                 comment=", ".join(changed_fields(current, version)) if current else "")
    return version


def set_status(session: Session, *, questions: list[Question], status: QuestionStatus,
               actor: User | None) -> int:
    changed = 0
    for question in questions:
        if question.status is status:
            continue
        before = question.status.value
        question.status = status
        changed += 1
        audit.record(session, f"question.{status.value}", target=question, actor=actor,
                     before={"status": before}, after={"status": status.value})
    session.flush()
    return changed


def set_pool(session: Session, *, questions: list[Question], pool: Pool, actor: User | None) -> int:
    """Put questions in the exam pool, the practice pool, or both (exposure control)."""
    changed = 0
    for question in questions:
        if question.pool is pool:
            continue
        before, question.pool = question.pool.value, pool
        changed += 1
        audit.record(session, "question.pool", target=question, actor=actor, before={"pool": before},
                     after={"pool": pool.value})
    session.flush()
    return changed


def set_work(session: Session, *, question: Question, work: str, actor: User | None) -> bool:
    """Code the work content a question tests (validated with its content by the callers)."""
    if question.work == work:
        return False
    before, question.work = question.work, work
    audit.record(session, "question.work", target=question, actor=actor, before={"work": before},
                 after={"work": work})
    session.flush()
    return True


def check_may_edit(question: Question, user: User) -> None:
    """Administrators edit any question; centre staff only their own centre's drafts."""
    if str(user.role) == "admin":
        return
    if question.centre_id is None or question.centre_id != user.centre_id:
        raise NotAllowed(_l("Only the training centre that contributed a question may edit it."))
    if question.status is not QuestionStatus.DRAFT:
        raise NotAllowed(_l("A question that has been reviewed can only be changed by an administrator."))


# --- queries -----------------------------------------------------------------------------------


@dataclass
class Filters:
    module: int | None = None
    level: str | None = None
    type: str | None = None
    difficulty: int | None = None
    status: str | None = None
    tag: str | None = None
    q: str | None = None
    work: str | None = None  # a work content code, or "none" for questions not yet coded
    review: bool = False  # only questions whose current version's pooled statistics are flagged


def question_query(filters: Filters, *, centre_id: int | None = None, session: Session | None = None):
    """Questions with their current version, filtered; `centre_id` limits to one contributor. The
    review filter reads the bank's statistics, so it needs the session."""

    query = (
        select(Question)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .options(joinedload(Question.current_version))
        .order_by(Question.code)
    )
    if centre_id is not None:
        query = query.where(Question.centre_id == centre_id)
    if filters.module:
        query = query.where(QuestionVersion.module == filters.module)
    if filters.level:
        query = query.where(QuestionVersion.level == Level(filters.level))
    if filters.type:
        query = query.where(QuestionVersion.type == QuestionType(filters.type))
    if filters.difficulty:
        query = query.where(QuestionVersion.difficulty == filters.difficulty)
    if filters.status:
        query = query.where(Question.status == QuestionStatus(filters.status))
    if filters.tag:
        query = query.where(QuestionVersion.tags_text.ilike(f"%|{filters.tag}|%"))
    if filters.work:
        query = query.where(Question.work == ("" if filters.work == "none" else filters.work))
    if filters.review:
        query = query.where(QuestionVersion.id.in_(flagged_versions(session)))
    if filters.q:
        like = f"%{filters.q}%"
        query = query.where(or_(QuestionVersion.stem.ilike(like), QuestionVersion.stem_en.ilike(like),
                                Question.code.ilike(like)))
    return query


POOLS = {  # what a pool of the coverage table holds
    "exam": (Question.pool.in_((Pool.EXAM, Pool.BOTH)) & Question.practised_at.is_(None)),
    "practice": Question.pool.in_((Pool.PRACTICE, Pool.BOTH)),
}


def coverage(session: Session, *, statuses=(QuestionStatus.ACTIVE,), pool: str | None = None) -> dict:
    """Counts of questions by (module, level, type), for the statuses given; for one pool: "exam"
    (what an exam may draw: exam items practice never showed) or "practice"."""
    query = (select(QuestionVersion.module, QuestionVersion.level, QuestionVersion.type, func.count())
             .join(Question, Question.current_version_id == QuestionVersion.id)
             .where(Question.status.in_(list(statuses))))
    if pool is not None:
        query = query.where(POOLS[pool])
    rows = session.execute(
        query.group_by(QuestionVersion.module, QuestionVersion.level, QuestionVersion.type)).all()
    counts: dict = defaultdict(int)
    for module, level, qtype, n in rows:
        counts[(module, level, qtype)] = n
    return counts


def work_coverage(session: Session, *, pool: str = "exam", statuses=(QuestionStatus.ACTIVE,)) -> dict:
    """Counts of questions by (work content, level), one query: "" is the work content of questions
    not yet coded."""
    rows = session.execute(
        select(Question.work, QuestionVersion.level, func.count())
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.status.in_(list(statuses)), POOLS[pool])
        .group_by(Question.work, QuestionVersion.level)).all()
    counts: dict = defaultdict(int)
    for work, level, n in rows:
        counts[(work, level)] = n
    return counts


# --- statistics from released exams ----------------------------------------------------------


@dataclass(frozen=True)
class ItemFigure:
    """One question version's figures from one exam (question_bank.analysis.ItemStats, plainly)."""

    version_id: int
    n: int
    facility: float
    discrimination: float | None
    flags: tuple[str, ...] = ()


def record_exam_stats(session: Session, *, exam_id: int, exam_title: str, released_at,
                      figures: list[ItemFigure]) -> int:
    """Keep an exam's item statistics in the bank, replacing what it recorded before (so a second
    release or a backfill writes each figure once). Called by the exam package with plain data."""
    session.execute(QuestionStat.__table__.delete().where(QuestionStat.exam_id == exam_id))
    rows = [{"question_version_id": f.version_id, "exam_id": exam_id, "exam_title": exam_title[:120],
             "released_at": released_at, "n": f.n, "facility": f.facility, "discrimination": f.discrimination,
             "flags": list(f.flags)} for f in figures if f.n > 0]
    if rows:
        session.execute(QuestionStat.__table__.insert(), rows)
    for obj in [o for o in session.identity_map.values() if isinstance(o, QuestionStat)]:
        session.expunge(obj)  # the ORM's copies are behind what was written
    return len(rows)


def pooled_stats(session: Session, version_ids) -> dict[int, analysis.Pooled]:
    """Each version's figures pooled over every released exam (weighted by n), for many versions in
    one query; a version with no figures is absent."""
    ids = list(version_ids)
    if not ids:
        return {}
    return _pool_rows(session.execute(
        select(QuestionStat.question_version_id, QuestionStat.n, QuestionStat.facility,
               QuestionStat.discrimination).where(QuestionStat.question_version_id.in_(ids))))


def _pool_rows(rows) -> dict[int, analysis.Pooled]:
    figures: dict[int, list] = defaultdict(list)
    for version_id, n, facility, discrimination in rows:
        figures[version_id].append((n, facility, discrimination))
    return {version_id: analysis.pool(f) for version_id, f in figures.items()}


def flagged_versions(session: Session) -> list[int]:
    """The versions whose pooled statistics are flagged (too easy or hard, poor or negative
    discrimination), by the same rule as an exam's item analysis."""
    pooled = _pool_rows(session.execute(
        select(QuestionStat.question_version_id, QuestionStat.n, QuestionStat.facility,
               QuestionStat.discrimination)))
    return sorted(version_id for version_id, p in pooled.items() if p is not None and p.flags)


def question_stats(session: Session, question: Question) -> list[tuple[int, QuestionStat]]:
    """(version number, figures) from every released exam of every version of a question, newest
    first: one query."""
    return [(number, stat) for number, stat in session.execute(
        select(QuestionVersion.number, QuestionStat)
        .join(QuestionVersion, QuestionVersion.id == QuestionStat.question_version_id)
        .where(QuestionVersion.question_id == question.id)
        .order_by(QuestionStat.released_at.desc(), QuestionStat.id))]


# --- history -----------------------------------------------------------------------------------

FIELD_LABELS = {
    "type": _l("Type"), "module": _l("Module"), "level": _l("Level"), "difficulty": _l("Difficulty"),
    "stem": _l("Stem"), "stem_en": _l("Stem (English)"), "options": _l("Options"),
    "answer": _l("Answer"), "explanation": _l("Explanation"),
    "explanation_en": _l("Explanation (English)"), "tags": _l("Tags"), "source": _l("Source"),
    "image": _l("Image"),
}


def changed_fields(old: QuestionVersion, new: QuestionVersion) -> list[str]:
    a, b = old.content(), new.content()
    return [f for f in QuestionVersion.CONTENT_FIELDS if a[f] != b[f]]


def _as_text(name: str, value, kind) -> str:
    if value is None:
        return ""
    if name == "options":
        return "\n".join(f"{o['key']}. {o['text']}" + (f" / {o['text_en']}" if o.get("text_en") else "")
                         for o in value)
    if name == "answer":
        return kind.format_key(value, translate=gettext)
    if name == "tags":
        return ", ".join(value)
    return str(value)


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    segments: list = field(default_factory=list)  # (op, text): op in "same", "del", "ins"


def version_diff(old: QuestionVersion, new: QuestionVersion) -> list[FieldDiff]:
    """Character-level differences of every changed field (characters suit Chinese text)."""
    diffs = []
    for name in changed_fields(old, new):
        a, b = _as_text(name, getattr(old, name), old.kind), _as_text(name, getattr(new, name), new.kind)
        segments = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "equal":
                segments.append(("same", a[i1:i2]))
            else:
                if i2 > i1:
                    segments.append(("del", a[i1:i2]))
                if j2 > j1:
                    segments.append(("ins", b[j1:j2]))
        diffs.append(FieldDiff(name, str(FIELD_LABELS[name]), segments))
    return diffs


# --- near duplicates ---------------------------------------------------------------------------


def stem_index(session: Session) -> rules.StemIndex:
    index = rules.StemIndex()
    rows = session.execute(
        select(Question.code, QuestionVersion.stem)
        .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(Question.status != QuestionStatus.RETIRED)
    ).all()
    for code, stem in rows:
        index.add(code, stem)
    return index


# --- import ------------------------------------------------------------------------------------


class RowAction(StrEnum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    ERROR = "error"


@dataclass
class PlannedRow:
    row: ParsedRow
    action: RowAction
    question: Question | None = None
    similar: list = field(default_factory=list)
    problems: list = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    file_errors: list[str]

    def count(self, action: RowAction) -> int:
        return sum(1 for r in self.rows if r.action is action)

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or self.count(RowAction.ERROR) > 0


def plan_import(session: Session, parsed: ParsedFile, *, user: User | None) -> ImportPlan:
    """What an import would do, row by row, without writing anything (the dry run).
    `user` None is the system (the demo loader, the CLI): an administrator's rights."""
    existing = {q.code: q for q in session.scalars(
        select(Question).options(joinedload(Question.current_version)))}
    index = stem_index(session)
    seen: set[str] = set()
    planned = []
    for row in parsed.rows:
        problems = [f"{p.column}: {p.message}" if p.column else p.message for p in row.problems]
        if row.code and row.code in seen:
            problems.append(str(_l("The code %(code)s appears twice in the file.", code=row.code)))
        elif row.code and not CODE_RULE.match(row.code):
            problems.append(str(_l("A question code has 1-30 letters, digits, dots, dashes or underscores.")))
        if row.code:
            seen.add(row.code)
        if problems or row.data is None:
            planned.append(PlannedRow(row, RowAction.ERROR, problems=problems))
            continue
        question = existing.get(row.code) if row.code else None
        if question is not None:
            try:
                if user is not None:
                    check_may_edit(question, user)
            except NotAllowed as exc:
                planned.append(PlannedRow(row, RowAction.ERROR, question, problems=[str(exc.message)]))
                continue
            same = question.current_version.content_hash == content_hash(normalise_content(row.data))
            work = given_work(row.data)
            unchanged = (same and question.status.value == _status_for(row, user)
                         and (work is None or work == question.work))
            planned.append(PlannedRow(row, RowAction.UNCHANGED if unchanged else RowAction.UPDATE,
                                      question))
            continue
        key = f"#{row.number}"
        similar = index.similar(row.data["stem"])
        index.add(key, row.data["stem"])
        action = RowAction.DUPLICATE if similar else RowAction.NEW
        planned.append(PlannedRow(row, action, similar=similar))
    return ImportPlan(planned, parsed.errors)


def _status_for(row: ParsedRow, user: User | None) -> str:
    """Centre staff contribute drafts; administrators (and the system) set the status the file gives."""
    if user is not None and str(user.role) != "admin":
        return "draft"
    return row.status or "draft"


@dataclass(frozen=True)
class ImportResult:
    created: int
    revised: int
    skipped: int


def apply_import(session: Session, plan: ImportPlan, *, user: User | None, all_or_nothing: bool,
                 include_duplicates: bool) -> ImportResult:
    """Import the planned rows in the caller's transaction: every valid row, or (all_or_nothing)
    nothing at all when any row has an error. Near duplicates only when asked for."""
    if plan.file_errors:
        raise DomainError(_l("The file cannot be imported: %(errors)s", errors=" ".join(plan.file_errors)))
    if all_or_nothing and plan.has_errors:
        raise DomainError(_l("Nothing was imported: %(n)d row(s) have errors.", n=plan.count(RowAction.ERROR)))
    wanted = {RowAction.NEW, RowAction.UPDATE} | ({RowAction.DUPLICATE} if include_duplicates else set())
    if not any(r.action in wanted for r in plan.rows):
        raise DomainError(_l("There is nothing to import."))
    actor = user
    centre = user.centre if user is not None and str(user.role) == "centre_staff" else None
    codes = CodeAllocator(session)
    created = revised = skipped = 0
    for planned in plan.rows:
        row = planned.row
        status = QuestionStatus(_status_for(row, user))
        if planned.action is RowAction.NEW or (planned.action is RowAction.DUPLICATE and include_duplicates):
            create_question(session, data=row.data, actor=actor, status=status, code=row.code,
                            centre=centre, codes=codes)
            created += 1
        elif planned.action is RowAction.UPDATE:
            revise_question(session, question=planned.question, data=row.data, actor=actor)
            set_status(session, questions=[planned.question], status=status, actor=actor)
            revised += 1
        else:
            skipped += 1
    audit.record(session, "question.import", actor=actor,
                 after={"created": created, "revised": revised, "skipped": skipped})
    return ImportResult(created, revised, skipped)
