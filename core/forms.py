"""The base form: CSRF on, surrounding whitespace stripped from every text field."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional


def choices(pairs, *, blank=None) -> list[SelectChoice]:
    """Select options from (value, label) pairs; labels may be lazy strings. `blank` is the label
    of an empty first option ("All", "—")."""
    items = [SelectChoice(str(value), label) for value, label in pairs]
    return [SelectChoice("", blank), *items] if blank is not None else items


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", ()))
            filters.append(_strip)
            return unbound_field.bind(form=form, filters=filters, **options)


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
