from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core.forms import BaseForm, choices
from core.i18n import local_to_utc, utc_to_local
from question_bank.models import Level
from registration import rules
from registration.models import Education, EventKind, Gender, Group, State
from registration.services import BULK_ACTIONS, FIELD_LABELS, REQUIRED


class EventForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=12)],
                       description=_l("Starts every candidate number, e.g. 2026GD."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=choices(EventKind.pairs()))
    level = SelectField(_l("Level"), choices=choices(Level.pairs()))
    groups = SelectMultipleField(_l("Competition groups"), choices=choices(Group.pairs()))
    registration_opens = DateTimeLocalField(_l("Registration opens"), validators=[DataRequired()])
    registration_closes = DateTimeLocalField(_l("Registration closes"), validators=[DataRequired()])
    minimum_education = SelectField(_l("Minimum education"), choices=choices(Education.pairs()),
                                    description=_l("The service guide: intermediate from high school, senior from "
                                                   "vocational college."))
    require_full_hours = BooleanField(_l("Require the full training hours before approval"))
    correction_days = IntegerField(_l("Days to correct a returned form"), default=5,
                                   validators=[DataRequired(), NumberRange(min=1, max=60)])

    def __init__(self, *args, obj=None, **kwargs):
        super().__init__(*args, obj=obj, **kwargs)
        if obj is not None and not self.is_submitted():
            self.registration_opens.data = utc_to_local(obj.registration_opens)
            self.registration_closes.data = utc_to_local(obj.registration_closes)
            self.kind.data, self.level.data = obj.kind.value, obj.level.value
            self.minimum_education.data = obj.minimum_education.value

    def fields(self) -> dict:
        return {
            "code": self.code.data.upper(), "name": self.name.data, "kind": EventKind(self.kind.data),
            "level": Level(self.level.data), "groups": list(self.groups.data or []),
            "registration_opens": local_to_utc(self.registration_opens.data),
            "registration_closes": local_to_utc(self.registration_closes.data),
            "minimum_education": Education(self.minimum_education.data),
            "require_full_hours": self.require_full_hours.data, "correction_days": self.correction_days.data,
        }


class SessionForm(BaseForm):
    name = StringField(_l("Session"), validators=[DataRequired(), Length(max=80)])
    starts_at = DateTimeLocalField(_l("Starts"), validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), validators=[DataRequired()])
    site = StringField(_l("Site"), validators=[DataRequired(), Length(max=120)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    seats = IntegerField(_l("Seats"), default=60, validators=[DataRequired(), NumberRange(min=1, max=2000)])


class RegistrationForm(BaseForm):
    """The training registration form of seed 002, 2.5. Field rules live in the service (one place for
    the page, the batch import and the API); here only shapes and lengths."""

    centre = SelectField(_l("Training centre"), choices=[])
    group = SelectField(_l("Group"), choices=[], default="")
    full_name = StringField(_l("Full name"), validators=[Length(max=40)])
    gender = SelectField(_l("Gender"), choices=choices(Gender.pairs(), blank="—"), default="")
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    education = SelectField(_l("Education"), choices=choices(Education.pairs(), blank="—"), default="")
    title = StringField(_l("Title or position"), validators=[Length(max=60)])
    employer = StringField(_l("Employer"), validators=[Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Length(max=30)])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Length(max=120)])
    id_number = StringField(_l("ID number"), validators=[Length(max=18)],
                            description=_l("The 18-character resident ID number."))
    resume = TextAreaField(_l("Résumé"), validators=[Length(max=4000)])
    training_history = TextAreaField(_l("Training history"), validators=[Length(max=4000)])
    photo = FileField(_l("One-inch photo"), validators=[FileAllowed(["jpg", "jpeg", "png"], _l("JPEG or PNG only."))],
                      description=_l("A blue-background portrait. It is cropped to the one-inch ratio (25 × 35 mm)."))
    # A photo chosen on a submit that was refused, kept on the server so it is not chosen again.
    photo_token = HiddenField(validators=[Optional(), Length(max=64)])

    def __init__(self, *args, centres, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre.choices = choices((c.public_id, c.name) for c in centres)
        groups = [(g, Group(g).label) for g in (event.groups or [])]
        self.group.choices = choices(groups, blank="—")
        if not groups:
            del self.group
        for name in REQUIRED:  # marks them on the page; the service enforces them
            self[name].flags.required = True

    def data_dict(self) -> dict:
        data = {name: self[name].data for name in ("full_name", "title", "employer", "phone", "address", "email",
                                                   "id_number", "resume", "training_history")}
        data["gender"] = self.gender.data or None
        data["education"] = self.education.data or None
        data["birth_date"] = self.birth_date.data
        data["group"] = self.group.data if "group" in self else None
        return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}


class ActionForm(BaseForm):
    comment = StringField(_l("Comment"), validators=[Optional(), Length(max=500)])


class ReturnForm(BaseForm):
    deadline = DateTimeLocalField(_l("Correct by"), validators=[Optional()])

    def corrections(self, formdata) -> list[tuple[str, str]]:
        return [(field, formdata.get(f"comment_{field}", "")) for field in rules.CORRECTABLE
                if formdata.get(f"fix_{field}")]

    @staticmethod
    def fields():
        return [(f, FIELD_LABELS[f]) for f in rules.CORRECTABLE]


class BulkForm(ReturnForm):
    """One action on the forms selected in the list (the ids, or every form the filter finds)."""

    action = SelectField(choices=choices((a, a) for a in (*BULK_ACTIONS, "tickets", "export")))
    scope = StringField(validators=[Optional(), Length(max=10)])
    comment = StringField(_l("Opinion (optional)"), validators=[Optional(), Length(max=500)])
    return_comment = StringField(_l("What to correct"), validators=[Optional(), Length(max=500)])
    event_session = SelectField(_l("Session"), choices=[], validate_choice=False, default="")
    # The ticked forms' public ids: declared so that the base form checks them like every other
    # value (no NUL reaches the database) before the view looks them up.
    ids = SelectMultipleField(choices=[], validate_choice=False)

    def bulk_corrections(self, formdata) -> list[tuple[str, str]]:
        """The same comment on every field ticked to correct."""
        comment = self.return_comment.data or ""
        return [(field, comment) for field in rules.CORRECTABLE if field in formdata.getlist("fix")]


class HoursForm(BaseForm):
    pass


class RegistrationFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=40)])
    state = SelectField(_l("State"), choices=choices(State.pairs(), blank=_l("All")), default="")
    level = SelectField(_l("Level"), choices=choices(Level.pairs(), blank=_l("All")), default="")
    event = SelectField(_l("Event"), choices=[], default="")
    centre = SelectField(_l("Training centre"), choices=[], default="")


class CheckInForm(BaseForm):
    number = StringField(_l("Candidate number"), validators=[DataRequired(), Length(max=20)])


class BatchForm(BaseForm):
    sheet = FileField(_l("Excel sheet (.xlsx)"), validators=[
        FileRequired(_l("Choose the filled-in template.")),
        FileAllowed(["xlsx"], _l("Use the Excel template (.xlsx)."))])
    photos = FileField(_l("Photos (.zip, each named by ID number)"),
                       validators=[FileAllowed(["zip"], _l("A .zip file."))])


for _code in [c.code for level in rules.COURSES.values() for c in level]:
    setattr(HoursForm, f"hours_{_code}",
            DecimalField(_code, places=1, validators=[Optional(), NumberRange(min=0, max=100)]))
