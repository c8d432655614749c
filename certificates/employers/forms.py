from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from certificates.employers.models import RatePeriod
from core.forms import BaseForm, choices


class CheckForm(BaseForm):
    sheet = FileField(_l("Excel sheet (.xlsx)"), validators=[
        FileRequired(_l("Choose the Excel file to check.")),
        FileAllowed(["xlsx"], _l("Upload an Excel workbook (.xlsx); save a CSV or an old .xls as .xlsx first."))])


class IssueKeyForm(BaseForm):
    label = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=120)],
                        description=_l("Who the key is for, as people will recognise it in this list."))
    owner = SelectField(_l("Employer account"), choices=[], validators=[Optional()], default="",
                        description=_l("Optional: disabling that account stops the key too."))
    rate_limit = IntegerField(_l("Allowance"), validators=[DataRequired(), NumberRange(min=1, max=100_000)])
    rate_period = SelectField(_l("Per"), choices=choices(RatePeriod.pairs()), validators=[DataRequired()])

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner.choices = choices(((u.public_id, str(u)) for u in owners), blank="—")


class KeyActionForm(BaseForm):
    """The revoke button (CSRF only)."""
