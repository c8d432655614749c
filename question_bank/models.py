"""Questions and their immutable versions.

A Question is the stable identity (code, status, contributor); every edit of its content makes a
new QuestionVersion, and exam papers and attempts point at versions, never at the question, so
past results never change when the bank is edited."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.extensions import db
from core.i18n import html_lang
from core.models import Immutable, LabelledEnum, PublicIdMixin, TimestampMixin, enum_type
from question_bank import qtypes, rules
from question_bank.standard import SKILL_ITEMS, WORK_CONTENTS, level_of


class _Kinds(LabelledEnum):
    """The question types of question_bank.qtypes, labelled by their kinds, in their order."""

    @classmethod
    def labels(cls):
        return {m: _l(qtypes.get(m).label) for m in cls}

    @property
    def kind(self) -> qtypes.Kind:
        return qtypes.get(self.value)


QuestionType = _Kinds("QuestionType", [(code.upper(), code) for code in qtypes.codes()],
                      module=__name__, qualname="QuestionType")


class Level(LabelledEnum):
    JUNIOR = rules.Level.JUNIOR.value
    INTERMEDIATE = rules.Level.INTERMEDIATE.value
    SENIOR = rules.Level.SENIOR.value

    @classmethod
    def labels(cls):
        return {cls.JUNIOR: _l("Junior"), cls.INTERMEDIATE: _l("Intermediate"),
                cls.SENIOR: _l("Senior")}


class QuestionStatus(LabelledEnum):
    DRAFT = rules.Status.DRAFT.value
    ACTIVE = rules.Status.ACTIVE.value
    RETIRED = rules.Status.RETIRED.value

    @classmethod
    def labels(cls):
        return {cls.DRAFT: _l("Draft"), cls.ACTIVE: _l("Active"), cls.RETIRED: _l("Retired")}


class Pool(LabelledEnum):
    """Exposure control: an exam draws only exam items (pool exam or both) that practice never
    showed; practice shows only practice items (practice or both), never one frozen into an exam
    whose results are not released."""

    EXAM = rules.Pool.EXAM.value
    PRACTICE = rules.Pool.PRACTICE.value
    BOTH = rules.Pool.BOTH.value

    @classmethod
    def labels(cls):
        return {cls.EXAM: _l("Exams only"), cls.PRACTICE: _l("Practice only"), cls.BOTH: _l("Exams and practice")}


MODULE_LABELS = {
    1: _l("Network architecture"),
    2: _l("Platform integration"),
    3: _l("Data processing, operation and analysis"),
    4: _l("Automation control"),
    5: _l("System security and professional ethics"),
}


def module_label(module: int) -> str:
    return f"{module} {MODULE_LABELS[module]}"


def module_pairs() -> list[tuple[str, str]]:
    return [(str(m), module_label(m)) for m in rules.MODULES]


def work_label(code: str) -> str:
    """A work content as "S-2.1 编写标识节点间数据共享建设方案", in the user's language; "—" for none."""
    item = WORK_CONTENTS.get(code or "")
    if item is None:
        return code or "—"
    return f"{item.code} {item.en if html_lang() == 'en' else item.zh}"


WORK_GROUPS = [  # the coverage rows and the editor's choices: each level's skill table, then the modules
    (Level.JUNIOR, [c for c in SKILL_ITEMS if level_of(c) == Level.JUNIOR.value]),
    (Level.INTERMEDIATE, [c for c in SKILL_ITEMS if level_of(c) == Level.INTERMEDIATE.value]),
    (Level.SENIOR, [c for c in SKILL_ITEMS if level_of(c) == Level.SENIOR.value]),
    (None, [c for c in WORK_CONTENTS if level_of(c) is None]),
]


def work_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(code, label)]) in the order of the standard, for selects and tables."""
    return [(str(_l("Knowledge modules")) if level is None else str(_l("%(level)s skills", level=level.label)),
             [(code, work_label(code)) for code in codes]) for level, codes in WORK_GROUPS]



class Question(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    status: Mapped[QuestionStatus] = mapped_column(enum_type(QuestionStatus), nullable=False, index=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True), nullable=True
    )
    centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_centres.id"), nullable=True, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    pool: Mapped[Pool] = mapped_column(enum_type(Pool), nullable=False, default=Pool.BOTH, server_default="both")
    # When practice first showed the question (and so its key): from then on no exam draws it.
    practised_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The work content the question tests (question_bank.standard: "S-2.1", "M3"); a
    # classification, like the pool, so re-coding it makes no new version. "" for legacy data.
    work: Mapped[str] = mapped_column(String(8), nullable=False, default="", server_default="")

    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", foreign_keys="QuestionVersion.question_id",
        order_by="QuestionVersion.number",
    )
    current_version: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    centre = relationship("TrainingCentre")

    def __str__(self) -> str:
        return self.code


class QuestionVersion(Immutable, db.Model):
    __tablename__ = "question_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    type: Mapped[QuestionType] = mapped_column(enum_type(QuestionType), nullable=False)
    module: Mapped[int] = mapped_column(nullable=False)
    level: Mapped[Level] = mapped_column(enum_type(Level), nullable=False)
    difficulty: Mapped[int] = mapped_column(nullable=False)
    stem: Mapped[str] = mapped_column(Text, nullable=False)
    stem_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    options: Mapped[list] = mapped_column(JSON, nullable=False)
    answer: Mapped[object] = mapped_column(JSON, nullable=False)
    explanation: Mapped[str] = mapped_column(Text, nullable=False)
    explanation_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    tags: Mapped[list] = mapped_column(JSON, nullable=False)
    # "|tag1|tag2|": lets a tag filter be one indexed-free LIKE on both databases.
    tags_text: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    image: Mapped[str | None] = mapped_column(String(80), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])
    created_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("question_id", "number"),
        Index("ix_question_versions_facets", "module", "level", "type"),
    )

    CONTENT_FIELDS = ("type", "module", "level", "difficulty", "stem", "stem_en", "options",
                      "answer", "explanation", "explanation_en", "tags", "source", "image")

    def content(self) -> dict:
        """The version's content in interchange form (rules.validate accepts it)."""
        data = {f: getattr(self, f) for f in self.CONTENT_FIELDS}
        data["type"] = self.type.value
        data["level"] = self.level.value
        return data

    @property
    def kind(self) -> qtypes.Kind:
        return qtypes.get(self.type)

    def check(self, response) -> rules.Outcome:
        return self.kind.check(response, self.answer)

    def __str__(self) -> str:
        return f"{self.question.code} v{self.number}"


class QuestionStat(db.Model):
    """A question version's item statistics from one released exam (question_bank.analysis),
    written by the exam package through services.record_exam_stats with plain data: the exam's
    id, title and release time are a snapshot, so the bank needs no exam model to show them."""

    __tablename__ = "question_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"), nullable=False,
                                                     index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), nullable=False, index=True)
    exam_title: Mapped[str] = mapped_column(String(120), nullable=False)
    released_at: Mapped[datetime] = mapped_column(nullable=False)
    n: Mapped[int] = mapped_column(nullable=False)
    facility: Mapped[float] = mapped_column(Float, nullable=False)
    discrimination: Mapped[float | None] = mapped_column(Float, nullable=True)
    flags: Mapped[list] = mapped_column(JSON, nullable=False)

    version: Mapped[QuestionVersion] = relationship()

    __table_args__ = (UniqueConstraint("question_version_id", "exam_id"),)
