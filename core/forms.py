"""The base form: CSRF on, surrounding whitespace stripped from every text field, and every value
checked before any validator sees it: numbers must be finite and fit the database's integers, dates
must fall in years the platform can convert between time zones, text must carry no control
characters. A value that fails is refused on its field, in the user's language, and taken out of
the form's data, so that no validator, cross-field check, query or write ever uses it."""

from __future__ import annotations

import math
import re
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, StopValidation

# The largest number any form takes: the database's INTEGER (every id, count and minute is one;
# every decimal column is far smaller, and its field says so with NumberRange).
NUMBER_LIMIT = 2**31 - 1
# Years a date may have: birth dates to exam windows, and far enough from year 1 and 9999 that a
# date-time converts between UTC and the platform's time zone both ways.
FIRST_YEAR, LAST_YEAR = 1900, 2999
# C0 control characters and DEL, except tab and line breaks (text areas keep those). NUL cannot
# be stored by PostgreSQL at all; the others are never typed by a person.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

NOT_A_NUMBER = lazy_gettext("Enter a number.")
TOO_LARGE = lazy_gettext("This number is too large.")
CONTROL_CHARACTERS = lazy_gettext("Remove the control characters (such as NUL) from this text.")


def number_problem(value) -> str | None:
    """Why a number parsed from user input cannot be used (NaN, infinite, or beyond NUMBER_LIMIT),
    or None. The one rule for numbers typed by users, in forms and in fields read by hand."""
    if isinstance(value, Decimal) and not value.is_finite():
        return NOT_A_NUMBER
    if isinstance(value, float) and not math.isfinite(value):
        return NOT_A_NUMBER
    if abs(value) > NUMBER_LIMIT:
        return TOO_LARGE
    return None


def text_problem(value: str) -> str | None:
    """Why text typed by a user cannot be stored (control characters, NUL), or None."""
    return CONTROL_CHARACTERS if CONTROL.search(value) else None


def date_problem(value: date) -> str | None:
    if FIRST_YEAR <= value.year <= LAST_YEAR:
        return None
    return lazy_gettext("Enter a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)


def value_problem(field) -> str | None:
    """Why a bound field's submitted value must not be used, or None."""
    for raw in field.raw_data or ():
        if isinstance(raw, str) and text_problem(raw):
            return CONTROL_CHARACTERS
    data = field.data
    if isinstance(data, bool) or data is None:
        return None
    if isinstance(data, (int, float, Decimal)):
        return number_problem(data)
    if isinstance(data, date):  # datetime too
        return date_problem(data)
    return None


def choices(pairs, *, blank=None) -> list[SelectChoice]:
    """Select options from (value, label) pairs; labels may be lazy strings. `blank` is the label
    of an empty first option ("All", "—")."""
    items = [SelectChoice(str(value), label) for value, label in pairs]
    return [SelectChoice("", blank), *items] if blank is not None else items


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _refuse(form, field) -> None:
    """The first validator of every field: a value BaseForm.validate refused ends the chain."""
    problem = getattr(form, "_refused", {}).get(id(field))
    if problem:
        raise StopValidation(str(problem))


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", ()))
            filters.append(_strip)
            field = unbound_field.bind(form=form, filters=filters, **options)
            field.validators = [_refuse, *field.validators]
            return field

    def validate(self, extra_validators=None) -> bool:
        # Every field is checked before any is validated, so that a check across fields never
        # meets a refused value either: the value leaves `data` (the page still shows what was
        # typed, from raw_data) and its field gets the reason.
        self._refused = {}
        for field in self._fields.values():
            problem = value_problem(field)
            if problem:
                self._refused[id(field)] = problem
                field.data = None
        return super().validate(extra_validators)


class AuditFilterForm(BaseForm):
    """Filters of the audit log page (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(lazy_gettext("Object or comment"), validators=[Optional(), Length(max=100)])
    actor = StringField(lazy_gettext("User"), validators=[Optional(), Length(max=40)])
    action = StringField(lazy_gettext("Action"), validators=[Optional(), Length(max=80)])
    object_type = StringField(lazy_gettext("Object type"), validators=[Optional(), Length(max=60)])
    date_from = DateField(lazy_gettext("From"), validators=[Optional()])
    date_to = DateField(lazy_gettext("To"), validators=[Optional()])


class WorkdayOverrideForm(BaseForm):
    """One date of the working-day calendar decided by the administrator."""

    day = DateField(lazy_gettext("Date"), validators=[DataRequired(message=lazy_gettext("Enter a date."))])
    working = SelectField(lazy_gettext("The day is"), choices=choices([
        ("0", lazy_gettext("a day off (public holiday)")),
        ("1", lazy_gettext("a working day (a make-up working day)")),
    ]), validators=[DataRequired()])
    note = StringField(lazy_gettext("Note"), validators=[Optional(), Length(max=200)],
                       description=lazy_gettext("For example the State Council's notice of the year's holidays."))
