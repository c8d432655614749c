from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import BaseForm, choices


class LookupForm(BaseForm):
    number = StringField(_l("Certificate number"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Holder's name"), validators=[DataRequired(), Length(max=40)])


REASON = dict(validators=[DataRequired(), Length(max=1000)],
              description=_l("What is wrong, and why (at most 1,000 characters)."))


class OwnObjectionForm(BaseForm):
    """The candidate's: an objection to their result, or a review of one part (choices: the view)."""

    kind = SelectField(_l("What do you ask for?"), choices=choices((
        ("objection", _l("An objection to my result")), ("review", _l("A review of one part")))))
    part = SelectField(_l("Part to review"), choices=[], validate_choice=False)
    reason = TextAreaField(_l("Reason"), **REASON)


class PublicObjectionForm(BaseForm):
    """Anyone's, about an entry of the publicity list."""

    candidate_number = StringField(_l("Candidate number (as listed)"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=40)])
    contact = StringField(_l("Telephone or e-mail"), validators=[DataRequired(), Length(max=100)],
                          description=_l("The project centre answers you there; the answer is also on the receipt "
                                         "page you get."))
    reason = TextAreaField(_l("Reason"), **REASON)


class RecordObjectionForm(BaseForm):
    """An administrator's, for an objection received by telephone or letter."""

    reason = TextAreaField(_l("Objection"), validators=[DataRequired(), Length(max=1000)])
    name = StringField(_l("From (name)"), validators=[Optional(), Length(max=40)])
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=100)])


class AnswerForm(BaseForm):
    answer = TextAreaField(_l("Answer to the filer"), validators=[DataRequired(), Length(max=1000)],
                           description=_l("The filer reads it as written."))


class RevokeForm(BaseForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=500)])


class ReissueForm(BaseForm):
    note = StringField(_l("Note (why it is reissued)"), validators=[DataRequired(), Length(max=500)])


class CorrectForm(BaseForm):
    name = StringField(_l("Holder's name"), validators=[DataRequired(), Length(max=40)])
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=18)])
    reason = StringField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=500)])


class RuleForm(BaseForm):
    FIELDS = ("theory_weight", "practical_weight", "theory_pass", "practical_pass", "tie_break", "first_ratio",
              "second_ratio", "third_ratio", "publicity_days", "expiry_years", "issuer")

    theory_weight = DecimalField(_l("Theory weight (competition)"), places=3,
                                 validators=[DataRequired(), NumberRange(min=0, max=1)])
    practical_weight = DecimalField(_l("Practical weight (competition)"), places=3,
                                    validators=[DataRequired(), NumberRange(min=0, max=1)])
    theory_pass = DecimalField(_l("Theory pass mark (certification)"), places=2,
                               validators=[DataRequired(), NumberRange(min=0, max=100)])
    practical_pass = DecimalField(_l("Practical pass mark (certification)"), places=2,
                                  validators=[DataRequired(), NumberRange(min=0, max=100)])
    tie_break = SelectField(_l("Equal totals are ordered by"), choices=choices([
        ("practical,theory,number", _l("the practical score, then the theory score, then the candidate number")),
        ("theory,practical,number", _l("the theory score, then the practical score, then the candidate number")),
        ("practical,number", _l("the practical score, then the candidate number")),
        ("theory,number", _l("the theory score, then the candidate number")),
    ]), validators=[DataRequired()])
    first_ratio = DecimalField(_l("First prizes (share)"), places=3, validators=[DataRequired(), NumberRange(0, 1)])
    second_ratio = DecimalField(_l("Second prizes (share)"), places=3, validators=[DataRequired(), NumberRange(0, 1)])
    third_ratio = DecimalField(_l("Third prizes (share)"), places=3, validators=[DataRequired(), NumberRange(0, 1)])
    publicity_days = IntegerField(_l("Publicity (working days)"), validators=[DataRequired(), NumberRange(5, 30)])
    expiry_years = IntegerField(_l("Certificates valid for (years; empty: no expiry)"),
                                validators=[Optional(), NumberRange(1, 20)])
    issuer = StringField(_l("Issuer"), validators=[DataRequired(), Length(max=120)])

    def validate_practical_weight(self, field) -> None:
        from wtforms.validators import ValidationError

        if self.theory_weight.data is not None and field.data is not None and \
                self.theory_weight.data + field.data != 1:
            raise ValidationError(_l("The two weights add up to 1."))
