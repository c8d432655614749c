from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from core.forms import BaseForm, choices
from core.i18n import local_to_utc, utc_to_local
from exam import rules
from exam.models import ExamLanguage, MultipleRule, ReviewPolicy
from question_bank.models import Level, QuestionType, module_pairs

QUOTA_ROWS = 4


class StartForm(BaseForm):
    access_code = StringField(_l("Access code"), validators=[Optional(), Length(max=20)])


class IntegrityFields:
    """Where an exam (or one of its halls) may be answered from."""

    allowed_networks = TextAreaField(
        _l("Allowed client networks"), validators=[Optional(), Length(max=2000)],
        description=_l("The exam halls' networks in CIDR notation, one a line (e.g. 10.20.0.0/16). Empty: "
                       "anywhere. Behind a proxy, set TRUSTED_PROXIES so that clients' own addresses are seen."))
    seb_config_keys = TextAreaField(
        _l("Safe Exam Browser Config Keys"), validators=[Optional(), Length(max=2000)],
        description=_l("One a line, 64 hexadecimal characters each, as SEB's configuration tool shows them, with "
                       "\"Use Browser & Config Keys\" on. Empty: any browser."))

    def validate_allowed_networks(self, field) -> None:
        bad = rules.bad_networks(field.data)
        if bad:
            raise ValidationError(_l("Not a network: %(entries)s.", entries=", ".join(bad[:3])))

    def integrity(self) -> dict:
        return {"allowed_networks": "\n".join(rules.lines(self.allowed_networks.data)),
                "seb_config_keys": "\n".join(key.lower() for key in rules.lines(self.seb_config_keys.data))}

    def validate_seb_config_keys(self, field) -> None:
        bad = rules.bad_config_keys(field.data)
        if bad:
            raise ValidationError(_l("A Config Key is 64 hexadecimal characters; this is not: %(entries)s.",
                                     entries=", ".join(b[:16] for b in bad[:3])))


class ExamForm(IntegrityFields, BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    event = StringField(_l("Event"), validators=[Optional(), Length(max=120)])
    event_id = SelectField(_l("Registration event"), choices=[], default="",
                           description=_l("Candidates enrolled in this event join the exam automatically."))
    level = SelectField(_l("Level"), choices=choices(Level.pairs()))
    language = SelectField(_l("Language of the questions"), choices=choices(ExamLanguage.pairs()),
                           default=ExamLanguage.ZH.value,
                           description=_l("An English or bilingual exam draws only questions with English text. "
                                          "Candidates of an English exam see its pages in English."))
    duration_minutes = IntegerField(_l("Duration (minutes)"), default=60,
                                    validators=[DataRequired(), NumberRange(min=5, max=600)])
    opens_at = DateTimeLocalField(_l("Opens at"), validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Closes at"), validators=[DataRequired()])
    allow_overrun = BooleanField(_l("A late starter may finish the full duration after the window closes"))
    access_code = StringField(_l("Access code (optional)"), validators=[Optional(), Length(max=20)],
                              description=_l("Given out by the proctor in the room; candidates type it to start."))
    shuffle_questions = BooleanField(_l("Shuffle questions within each section"), default=True)
    shuffle_options = BooleanField(_l("Shuffle options"), default=True)
    pass_score = DecimalField(_l("Pass mark (points)"), places=2, default=60,
                              validators=[DataRequired(), NumberRange(min=0, max=1000)])
    review_policy = SelectField(_l("Review"), choices=choices(ReviewPolicy.pairs()))
    multiple_rule = SelectField(_l("Multiple-choice scoring"), choices=choices(MultipleRule.pairs()))
    partial_fraction = DecimalField(_l("Share of the points for a correct subset"), places=3, default=0.5,
                                    validators=[DataRequired(), NumberRange(min=0, max=1)])
    grace_seconds = IntegerField(_l("Grace for saves in flight (seconds)"), default=15,
                                 validators=[DataRequired(), NumberRange(min=0, max=120)])
    focus_warn_at = IntegerField(_l("Warn the candidate at this many focus losses"), default=3,
                                 validators=[Optional(), NumberRange(min=0, max=1000)],
                                 description=_l("Leaving the exam page (another window or tab). 0: never."))
    focus_alert_at = IntegerField(_l("Alert the invigilator at this many"), default=5,
                                  validators=[Optional(), NumberRange(min=0, max=1000)],
                                  description=_l("The seat is marked on the hall's seat map. 0: never."))
    focus_submit_at = IntegerField(_l("Submit the exam at this many"), default=0,
                                   validators=[Optional(), NumberRange(min=0, max=1000)],
                                   description=_l("0: never (the usual choice: the invigilator decides)."))
    def __init__(self, *args, obj=None, events=(), **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        self.event_id.choices = choices(((str(e.id), e.name) for e in events), blank="—")
        if obj is not None and not self.is_submitted():
            self.event_id.data = str(obj.event_id) if obj.event_id else ""
            self.opens_at.data = utc_to_local(obj.opens_at)
            self.closes_at.data = utc_to_local(obj.closes_at)
            self.level.data = obj.level.value
            self.language.data = obj.language.value
            self.review_policy.data = obj.review_policy.value
            self.multiple_rule.data = obj.multiple_rule.value

    def fields(self) -> dict:
        return {
            "title": self.title.data, "event": self.event.data or "", "level": Level(self.level.data),
            "language": ExamLanguage(self.language.data),
            "event_id": int(self.event_id.data) if self.event_id.data else None,
            "duration_minutes": self.duration_minutes.data, "opens_at": local_to_utc(self.opens_at.data),
            "closes_at": local_to_utc(self.closes_at.data), "allow_overrun": self.allow_overrun.data,
            "access_code": (self.access_code.data or "").upper(),
            "shuffle_questions": self.shuffle_questions.data, "shuffle_options": self.shuffle_options.data,
            "pass_score": self.pass_score.data, "review_policy": ReviewPolicy(self.review_policy.data),
            "multiple_rule": MultipleRule(self.multiple_rule.data), "partial_fraction": self.partial_fraction.data,
            "grace_seconds": self.grace_seconds.data,
            "focus_warn_at": self.focus_warn_at.data or 0, "focus_alert_at": self.focus_alert_at.data or 0,
            "focus_submit_at": self.focus_submit_at.data or 0,
            **self.integrity(),
        }


class HallSettingsForm(IntegrityFields, BaseForm):
    """A hall's synchronized start and its own integrity settings."""

    starts_at = DateTimeLocalField(_l("Synchronized start"), validators=[Optional()],
                                   description=_l("Everyone in the hall starts at this time, from a waiting room "
                                                  "that opens beforehand. Empty: each candidate starts when "
                                                  "they press Start."))
    own_integrity = BooleanField(_l("This hall has its own network and browser settings"))

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, **kwargs)
        if obj is not None and not self.is_submitted():
            self.starts_at.data = utc_to_local(obj.starts_at) if obj.starts_at else None
            self.own_integrity.data = obj.allowed_networks is not None or obj.seb_config_keys is not None
            self.allowed_networks.data = obj.networks
            self.seb_config_keys.data = obj.config_keys

    def start(self):
        return local_to_utc(self.starts_at.data) if self.starts_at.data else None


class SectionForm(BaseForm):
    title = StringField(_l("Section title"), validators=[Optional(), Length(max=80)])
    type = SelectField(_l("Type"), choices=choices(QuestionType.pairs()))
    points = DecimalField(_l("Points each"), places=2, validators=[DataRequired(), NumberRange(min=0.5, max=100)])

    def quotas(self) -> list[dict]:
        rows = []
        for i in range(QUOTA_ROWS):
            count = self[f"count_{i}"].data
            if count:
                module, difficulty = self[f"module_{i}"].data, self[f"difficulty_{i}"].data
                rows.append({"count": count, "module": int(module) if module else None,
                             "level": self[f"level_{i}"].data or None,
                             "difficulty": int(difficulty) if difficulty else None})
        return rows

    def quota_rows(self):
        return [(self[f"count_{i}"], self[f"module_{i}"], self[f"level_{i}"], self[f"difficulty_{i}"])
                for i in range(QUOTA_ROWS)]


for _i in range(QUOTA_ROWS):
    setattr(SectionForm, f"count_{_i}",
            IntegerField(_l("Questions"), validators=[Optional(), NumberRange(min=1, max=200)]))
    setattr(SectionForm, f"module_{_i}",
            SelectField(_l("Module"), choices=choices(module_pairs(), blank=_l("Any")), default=""))
    setattr(SectionForm, f"level_{_i}",
            SelectField(_l("Level"), choices=choices(Level.pairs(), blank=_l("Any")), default=""))
    setattr(SectionForm, f"difficulty_{_i}", SelectField(
        _l("Difficulty"), choices=choices([(str(d), str(d)) for d in range(1, 6)], blank=_l("Any")), default=""))


class RosterForm(BaseForm):
    names = TextAreaField(_l("Usernames of candidates"), validators=[DataRequired(), Length(max=20000)],
                          description=_l("One per line, or separated by commas or spaces."))

    def usernames(self) -> list[str]:
        return list(dict.fromkeys(n.lower() for n in re.split(r"[\s,，;；]+", self.names.data or "") if n))


class ProctorActionForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class ExtraTimeForm(BaseForm):
    user = HiddenField()
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(min=1, max=120)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class CompensateForm(BaseForm):
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(min=1, max=120)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class ReopenForm(BaseForm):
    minutes = IntegerField(_l("Minutes"), validators=[DataRequired(), NumberRange(min=1, max=120)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class PracticeForm(BaseForm):
    class Meta:
        csrf = False

    module = SelectField(_l("Module"), choices=choices(module_pairs(), blank=_l("Any")), default="")
    level = SelectField(_l("Level"), choices=choices(Level.pairs(), blank=_l("Any")), default="")


class ChallengeDecisionForm(BaseForm):
    version = IntegerField(validators=[DataRequired()])
    decision = SelectField(_l("Decision"), choices=choices([
        ("dismiss", _l("Dismiss: the key stands")),
        ("rekey", _l("Correct the key and regrade")),
        ("void", _l("Void the question: everyone gets its points")),
    ]))
    new_key = StringField(_l("Corrected key"), validators=[Optional(), Length(max=200)],
                          description=_l("As in the Excel template: B, ACD, 对/错, or a | b; c for blanks."))
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class HallForm(BaseForm):
    name = StringField(_l("Hall"), validators=[DataRequired(), Length(max=80)])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=120)])
    seats = IntegerField(_l("Seats"), default=60, validators=[DataRequired(), NumberRange(min=1, max=2000)])


class InvigilatorForm(BaseForm):
    username = StringField(_l("Invigilator's username"), validators=[DataRequired(), Length(max=40)])


class SeatForm(RosterForm):
    """Roster members to seat in a hall, by username."""


class PauseForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class TakeoverForm(BaseForm):
    code = StringField(_l("Code from the invigilator"), validators=[DataRequired(), Length(max=12)])


class IncidentForm(BaseForm):
    seat = IntegerField(_l("Seat"), validators=[Optional(), NumberRange(min=1, max=10_000)])
    text = StringField(_l("What happened"), validators=[DataRequired(), Length(max=1000)])

