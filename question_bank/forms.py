from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from core.forms import BaseForm, choices
from question_bank import qtypes, rules
from question_bank.messages import problem_message
from question_bank.models import Level, Pool, QuestionStatus, QuestionType, module_pairs, work_groups

DIFFICULTIES = [(str(d), str(d)) for d in range(1, 6)]


def work_pairs() -> list[tuple[str, str]]:
    """Every work content as (code, "S-2.1 编写…") in the user's language, in the standard's order."""
    return [pair for _group, pairs in work_groups() for pair in pairs]


class QuestionFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search stems"), validators=[Optional(), Length(max=100)])
    module = SelectField(_l("Module"), choices=[], validators=[Optional()])
    level = SelectField(_l("Level"), choices=[], validators=[Optional()])
    type = SelectField(_l("Type"), choices=[], validators=[Optional()])
    difficulty = SelectField(_l("Difficulty"), choices=[], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=30)])
    work = SelectField(_l("Work content"), choices=[], validators=[Optional()])
    review = BooleanField(_l("To review only"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.work.choices = choices([("none", _l("Not yet coded")), *work_pairs()], blank=_l("All"))
        self.module.choices = choices(module_pairs(), blank=_l("All"))
        self.level.choices = choices(Level.pairs(), blank=_l("All"))
        self.type.choices = choices(QuestionType.pairs(), blank=_l("All"))
        self.difficulty.choices = choices(DIFFICULTIES, blank=_l("All"))
        self.status.choices = choices(QuestionStatus.pairs(), blank=_l("All"))


class QuestionForm(BaseForm):
    """The edit form. Option, answer and English fields are flat so that every problem found by
    rules.validate lands on the field it concerns."""

    type = SelectField(_l("Type"), choices=choices(QuestionType.pairs()))
    module = SelectField(_l("Module"), choices=[])
    level = SelectField(_l("Level"), choices=choices(Level.pairs()))
    difficulty = SelectField(_l("Difficulty"), choices=choices(DIFFICULTIES), default="3")
    # Checked with the content by rules.validate (a skill item must be of the question's level).
    work = SelectField(_l("Work content"), choices=[], validators=[Optional()],
                       description=_l("The skill item of the level's table, or the knowledge module, "
                                      "the question tests."))
    status = SelectField(_l("Status"), choices=choices(QuestionStatus.pairs()), default="draft")
    stem = TextAreaField(
        _l("Stem"), validators=[Length(max=rules.MAX_STEM)],
        description=_l("For a fill-in-the-blank question write each blank as ____ (four underscores)."))
    stem_en = TextAreaField(_l("Stem (English)"), validators=[Optional(), Length(max=rules.MAX_STEM)])
    explanation = TextAreaField(_l("Explanation"), validators=[Length(max=rules.MAX_EXPLANATION)])
    explanation_en = TextAreaField(_l("Explanation (English)"),
                                   validators=[Optional(), Length(max=rules.MAX_EXPLANATION)])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=400)],
                       description=_l("Separated by commas."))
    source = StringField(_l("Source"), validators=[Optional(), Length(max=rules.MAX_SOURCE)])
    image = FileField(_l("Image"), validators=[FileAllowed(["png", "jpg", "jpeg"], _l("PNG or JPEG only."))])
    remove_image = BooleanField(_l("Remove the image"))

    def __init__(self, *args, can_set_status: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.module.choices = choices(module_pairs())  # labels combine number and name
        self.work.choices = choices(work_pairs(), blank="—")
        self.answer_errors: list[str] = []
        self.option_errors: list[str] = []
        if not can_set_status:
            del self.status

    @property
    def kind(self) -> qtypes.Kind:
        """The kind of the chosen type (the select validates it; an unknown one reads as the first)."""
        try:
            return qtypes.get(self.type.data)
        except qtypes.UnknownType:
            return qtypes.kinds()[0]

    def content(self, image: str | None) -> dict:
        kind = self.kind
        options, answer = kind.answer_from_form({spec.name: self[spec.name].data for spec in kind.fields})
        return {
            "type": kind.code,
            "module": int(self.module.data) if (self.module.data or "").isdigit() else self.module.data,
            "level": self.level.data,
            "difficulty": int(self.difficulty.data) if (self.difficulty.data or "").isdigit() else None,
            "stem": self.stem.data,
            "stem_en": self.stem_en.data or None,
            "options": options,
            "answer": answer,
            "explanation": self.explanation.data,
            "explanation_en": self.explanation_en.data or None,
            "tags": [t.strip() for t in re.split(r"[,，;；、]", self.tags.data or "") if t.strip()],
            "source": self.source.data or "",
            "image": image,
            "work": self.work.data or "",
        }

    def check_content(self, content: dict) -> bool:
        """Run the bank's rules and put each problem on its field; True when there is none."""
        problems = rules.validate(content)
        for problem in problems:
            message = problem_message(problem)
            if problem.field == "answer":
                better = self.kind.form_message(problem, content)
                self.answer_errors.append(str(_l(better)) if better else message)
            elif problem.field == "options":
                self.option_errors.append(message)
            elif problem.field in self:
                self[problem.field].errors = [*self[problem.field].errors, message]
            else:
                self.option_errors.append(message)
        return not problems


def _field(spec: qtypes.base.FieldSpec):
    """A question type's editor field (qtypes.base.FieldSpec) as a form field; read only when its
    type is chosen, so a select is not validated as a choice."""
    label = _l(spec.label, **spec.params)
    description = _l(spec.description) if spec.description else ""
    validators = [Optional(), Length(max=spec.max_length)] if spec.max_length else [Optional()]
    if spec.widget == "checkbox":
        return BooleanField(label)
    if spec.widget == "select":
        return SelectField(label, choices=choices([(v, _l(m)) for v, m in spec.choices]),
                           validate_choice=False, description=description)
    field_class = TextAreaField if spec.widget == "textarea" else StringField
    return field_class(label, validators=validators, description=description)


for _spec in {spec.name: spec for kind in qtypes.kinds() for spec in kind.fields}.values():
    setattr(QuestionForm, _spec.name, _field(_spec))


class BulkStatusForm(BaseForm):
    status = SelectField(_l("Set status"), choices=choices(QuestionStatus.pairs(), blank="—"), validators=[Optional()])
    pool = SelectField(_l("Set the pool"), choices=choices(Pool.pairs(), blank="—"), validators=[Optional()])
    # The ticked questions' public ids (checkboxes on the list); declared so that the base form
    # checks them like every other value before the view looks them up.
    question = SelectMultipleField(choices=[], validate_choice=False)


class ImportForm(BaseForm):
    file = FileField(_l("Excel (.xlsx) or JSON file"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["xlsx", "json"], _l("Use the Excel template (.xlsx) or a JSON export (.json).")),
    ])


class ConfirmImportForm(BaseForm):
    mode = SelectField(_l("Import"), choices=choices([
        ("valid", _l("every valid row, skipping the rows with errors")),
        ("all", _l("all rows or nothing: import only if no row has an error")),
    ]))
    include_duplicates = BooleanField(_l("Also add the rows flagged as near duplicates"))
