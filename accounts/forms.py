from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.validators import Email as EmailValidator

from accounts import rules
from accounts.models import Role
from core.forms import BaseForm, choices

USERNAME_RULE = Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    message=_l("Use letters, digits, dot, dash or underscore, starting with a letter or digit."),
)

PASSWORD_MESSAGES = {
    rules.PasswordProblem.TOO_SHORT: _l("At least %(n)d characters."),
    rules.PasswordProblem.ONLY_DIGITS: _l("Not only digits."),
    rules.PasswordProblem.CONTAINS_USERNAME: _l("Must not contain the username."),
    rules.PasswordProblem.CONTAINS_NAME: _l("Must not contain your name or e-mail address."),
    rules.PasswordProblem.COMMON: _l("This is one of the most common passwords; choose another."),
    rules.PasswordProblem.PATTERN: _l("Avoid repeated characters, runs like abcd or 1234, and keyboard rows."),
}


def password_policy_error(password: str, username: str, *, role: Role | str | None = None, full_name: str = "",
                          email: str = "") -> str | None:
    """What the password policy (accounts/rules.py) says against `password`, or None. Staff (every
    role but candidate) need the longer PASSWORD_MIN_LENGTH_STAFF."""
    cfg = current_app.config
    staff = bool(role) and role != Role.CANDIDATE
    min_length = cfg["PASSWORD_MIN_LENGTH_STAFF"] if staff else cfg["PASSWORD_MIN_LENGTH"]
    problems = rules.password_problems(password, username=username, min_length=min_length, full_name=full_name,
                                       email=email)
    return " ".join(str(PASSWORD_MESSAGES[p]) % {"n": min_length} for p in problems) or None


def check_password_policy(password: str, username: str, **user) -> None:
    error = password_policy_error(password, username, **user)
    if error:
        raise ValidationError(error)


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this computer"))


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=200)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def validate_new_password(self, field) -> None:
        user = self._user
        check_password_policy(field.data, user.username, role=user.role, full_name=user.full_name, email=user.email)


class UserForm(BaseForm):
    username = StringField(
        _l("Username"), validators=[DataRequired(), Length(min=3, max=40), USERNAME_RULE]
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=60)],
                            description=_l("For an employer account: the organisation's name."))
    email = EmailField(
        _l("E-mail"),
        validators=[Optional(), Length(max=120), EmailValidator(message=_l("Not a valid e-mail address."))],
    )
    role = SelectField(_l("Role"), choices=choices(Role.pairs()), validators=[DataRequired()])
    centre = SelectField(
        _l("Training centre"), choices=[], validate_choice=True,
        description=_l("Required for training centre staff. For a referee: their home centre, whose candidates "
                       "they will never be assigned to mark."),
    )
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(
        _l("Initial password"),
        validators=[Optional(), Length(max=200)],
        description=_l("The user must change it at first sign-in."),
    )

    def __init__(self, *args, centres, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        self.centre.choices = choices(((c.public_id, str(c)) for c in centres), blank="—")
        if not creating:
            del self.username
            del self.password

    def validate_centre(self, field) -> None:
        if self.role.data == Role.CENTRE_STAFF and not field.data:
            raise ValidationError(_l("Training centre staff must belong to a centre."))

    def validate_password(self, field) -> None:
        if self.creating and not field.data:
            raise ValidationError(_l("This field is required."))
        check_password_policy(field.data, self.username.data or "", role=self.role.data or None,
                              full_name=self.full_name.data or "", email=self.email.data or "")


class ResetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def validate_password(self, field) -> None:
        user = self._user
        check_password_policy(field.data, user.username, role=user.role, full_name=user.full_name, email=user.email)


class CentreForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Length(max=20),
            Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("Active"), default=True)


class UserFilterForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)])
    role = SelectField(_l("Role"), choices=[], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices(Role.pairs(), blank=_l("All roles"))
        self.status.choices = choices([("active", _l("Active")), ("disabled", _l("Disabled"))], blank=_l("All"))
