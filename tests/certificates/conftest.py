from decimal import Decimal as D

import pytest

from certificates import results
from certificates.models import Result, ResultStatus
from core import clock
from tests.certificates.employers_support import issued, make_key  # noqa: F401 (fixtures)
from tests.exam.conftest import bank, make_exam  # noqa: F401 (fixtures)
from tests.registration.conftest import event  # noqa: F401 (fixture)
from tests.scoring.conftest import panel  # noqa: F401 (fixture)


@pytest.fixture
def final_results(db, panel, frozen_clock):  # noqa: F811
    """The scoring panel's three enrolled candidates with final results written directly
    (70/80 pass, 50/90 fail, 88/95 pass)."""
    people = panel["people"]
    rows = []
    for person, (t, p, passed) in zip(people, ((70, 80, True), (50, 90, False), (88, 95, True)), strict=True):
        row = Result(event_id=person.event_id, registration_id=person.id, theory=D(t), practical=D(p),
                     total=D(t + p) / 2, passed=passed, status=ResultStatus.FINAL, computed_at=clock.now(),
                     final_at=clock.now())
        db.session.add(row)
        rows.append(row)
    results.rule_of(db.session, panel["scheme"].event)
    db.session.commit()
    return rows
