"""Fixtures and helpers of the employer tests (the API and the Excel check)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from certificates import services
from certificates.employers import services as employers
from certificates.employers.models import RatePeriod
from certificates.models import Verification
from core import clock
from core.excel import text_cell
from core.throttle import ThrottleBucket


@pytest.fixture
def issued(app, db, panel, final_results, frozen_clock):
    """The two passing candidates' certificates (选手0 and 选手2), issued now."""
    with app.test_request_context():
        certificates = [services.issue(db.session, result=r, actor=panel["admin"], now=clock.now())
                        for r in final_results if r.passed]
        db.session.commit()
    return certificates


@pytest.fixture
def make_key(app, db, panel):
    """Factory: an API key (rate per minute) and its secret, committed."""

    def make(label="示范企业", *, rate=60, period=RatePeriod.MINUTE, owner=None):
        with app.test_request_context():
            key, secret = employers.issue_key(db.session, label=label, owner=owner, rate_limit=rate,
                                              rate_period=period, actor=panel["admin"], now=clock.now())
            db.session.commit()
        return key, secret

    return make


def logged(db, **filters) -> int:
    return db.session.scalar(select(func.count()).select_from(Verification).filter_by(**filters))


def buckets(db, prefix: str) -> int:
    return db.session.scalar(select(func.count()).select_from(ThrottleBucket)
                             .where(ThrottleBucket.key.like(prefix + "%")))


def workbook(rows, *, title="Sheet") -> bytes:
    """An .xlsx whose first sheet holds `rows`, every str as a text cell (as a person types it)."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append([text_cell(ws, v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
