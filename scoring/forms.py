from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import BaseForm, choices
from scoring.models import RUBRIC, AspectKind


class ReasonForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class AssignForm(BaseForm):
    task = SelectField(_l("Task"), choices=[])
    referee = StringField(_l("Referee (username)"), validators=[DataRequired(), Length(max=40)])
    stations = StringField(_l("Stations"), validators=[DataRequired(), Length(max=200)],
                           description=_l("For example 1-10, 12"))

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.task.choices = choices((str(t.id), str(t)) for t in (scheme.tasks if scheme else []))


class FlagForm(BaseForm):
    decision = SelectField(_l("Decision"), choices=choices([
        ("confirm", _l("Confirm the marks as they are")), ("remark", _l("Ask the referees to mark again"))]))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class TaskForm(BaseForm):
    name = StringField(_l("Task"), validators=[DataRequired(), Length(max=80)])
    max_points = DecimalField(_l("Points"), places=2, validators=[DataRequired(), NumberRange(min=0, max=100)])


class AspectForm(BaseForm):
    aspect = IntegerField(validators=[Optional()])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=10)])
    title = StringField(_l("Aspect"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=choices(AspectKind.pairs()))
    max_points = DecimalField(_l("Maximum"), places=2, validators=[DataRequired(), NumberRange(min=0.01, max=100)])
    step = DecimalField(_l("Step"), places=2, validators=[Optional(), NumberRange(min=0.01, max=100)],
                        description=_l("Measurement only; empty means full marks or zero."))
    judges = IntegerField(_l("Referees"), default=3, validators=[Optional(), NumberRange(min=1, max=9)])

    def fields(self) -> dict:
        kind = AspectKind(self.kind.data)
        return {"code": self.code.data, "title": self.title.data, "kind": kind, "max_points": self.max_points.data,
                "step": self.step.data if kind is AspectKind.MEASUREMENT else None,
                "judges": self.judges.data or 3}


class ViolationForm(BaseForm):
    aspect = IntegerField(validators=[DataRequired()])
    points = DecimalField(_l("Points deducted"), places=2, validators=[DataRequired(), NumberRange(min=0.01, max=100)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class ExpertForm(BaseForm):
    expert = StringField(_l("Username of a referee"), validators=[DataRequired(), Length(max=40)])


class VideoScoreForm(BaseForm):
    """An expert's score of a teaching video, one field per criterion of the rubric. The form only
    makes sure each is a number; scoring.video.score checks the range and the steps. (The fields
    keep the criteria's names in the page; their attributes are prefixed, as "process" is a method
    of every form.)"""


for _key, _label, _maximum in RUBRIC:
    setattr(VideoScoreForm, f"criterion_{_key}", DecimalField(_label, validators=[Optional()], name=_key))


class VideoForm(BaseForm):
    video = FileField(_l("Video file (MP4 or WebM)"),
                      validators=[FileAllowed(["mp4", "webm"], _l("MP4 or WebM only."))])
    link = StringField(_l("Or a link to the video"), validators=[Optional(), Length(max=500)],
                       description=_l("For example a cloud-drive share link starting with https://"))
