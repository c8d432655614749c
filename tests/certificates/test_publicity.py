"""Lawful publicity (issue 17): 5 working days of China's official calendar (seed 003), holidays
and make-up working days included, the administrator's overrides before the library, a warning
where neither knows a year; the end is computed once, when publishing, and shown. And the
certificate number's year, in the platform's time zone."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

from sqlalchemy import select

from certificates import results, services
from certificates.models import Certificate, Publication, Result
from core import clock, workcalendar
from core.audit import AuditLog
from tests.conftest import PASSWORD


def _computed(db, panel, at: datetime):
    clock.freeze(at)
    event = panel["scheme"].event
    results.compute(db.session, event=event, actor=panel["admin"], now=clock.now())
    for row in db.session.scalars(select(Result)):
        row.total, row.theory, row.practical, row.passed = D(75), D(70), D(80), True
    db.session.commit()
    return event


def _publish(db, panel, at: datetime) -> Publication:
    event = _computed(db, panel, at)
    publication = results.publish(db.session, event=event, actor=panel["admin"], now=clock.now())
    db.session.commit()
    return publication


def _sign_in(client, panel):
    client.submit("/login", {"username": panel["admin"].username, "password": PASSWORD})


def test_a_publicity_across_national_day_ends_after_the_holiday(app, client, db, panel, frozen_clock):
    """Published Wednesday 30 September 2026, 10:00 in Beijing: 1-7 October are off; Thursday 8,
    Friday 9, the make-up Saturday 10, Monday 12 and Tuesday 13 are the five working days. Counting
    weekends alone, it ended on 7 October, before anyone was back at work."""
    publication = _publish(db, panel, datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    assert publication.ends_at == datetime(2026, 10, 13, 2, 0, tzinfo=UTC)
    page = client.get(f"/results/{panel['scheme'].event.public_id}").get_data(as_text=True)
    assert '<strong data-testid="publicity-ends">公示截止 2026-10-13 10:00。</strong>' in page
    assert "法定节假日不计" in page
    _sign_in(client, panel)
    admin = client.get(f"/certificates/admin/{panel['scheme'].event.public_id}").get_data(as_text=True)
    assert "公示期至 2026-10-13 10:00" in admin and 'data-testid="calendar-warning"' not in admin
    entry = db.session.scalar(select(AuditLog).filter_by(action="results.publish"))
    assert entry.after == {"ends_at": "2026-10-13T02:00:00+00:00", "guessed_years": []}


def test_a_make_up_saturday_is_a_working_day(db, panel, frozen_clock):
    """Published Thursday 7 May 2026: Friday 8, Saturday 9 (调休 after Labour Day), Monday 11,
    Tuesday 12, Wednesday 13."""
    publication = _publish(db, panel, datetime(2026, 5, 7, 2, 0, tzinfo=UTC))
    assert publication.ends_at == datetime(2026, 5, 13, 2, 0, tzinfo=UTC)


def test_the_days_are_counted_in_the_platforms_time_zone(db, panel, frozen_clock):
    """17:00 UTC on Friday 9 October is 01:00 on Saturday 10 October in Beijing: the publicity starts
    on the Saturday, so the five are 12-16 October (counted from the UTC Friday, it would be the 15th)."""
    publication = _publish(db, panel, datetime(2026, 10, 9, 17, 0, tzinfo=UTC))
    assert publication.ends_at == datetime(2026, 10, 15, 17, 0, tzinfo=UTC)  # 16 October, 01:00 in Beijing


def test_the_publish_button_says_when_it_ends_and_warns_of_an_unknown_year(app, client, db, panel, frozen_clock):
    """Monday 28 December 2026: the library does not know 2027, so New Year's Day counts as a working
    day: the confirmation says so before publishing, and the page after it."""
    event = _computed(db, panel, datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    _sign_in(client, panel)
    page = client.get(f"/certificates/admin/{event.public_id}").get_data(as_text=True)
    assert "现在发布，公示截止 2027-01-04 10:00。" in page
    confirm = page.split('value="publish" data-confirm="', 1)[1].split('"', 1)[0]
    assert "2027-01-04 10:00" in confirm and "2027 年的法定节假日安排尚未知" in confirm
    assert 'data-testid="calendar-warning"' in page and "/admin/working-days" in page
    done = client.submit(f"/certificates/admin/{event.public_id}", {"action": "publish"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "2027 年的法定节假日安排尚未知" in text and "公示期至 2027-01-04 10:00" in text
    publication = results.publication_of(db.session, event)
    assert publication.ends_at == datetime(2027, 1, 4, 2, 0, tzinfo=UTC)  # weekends only: a guess
    entry = db.session.scalar(select(AuditLog).filter_by(action="results.publish"))
    assert entry.after["guessed_years"] == [2027]


def test_an_override_changes_the_end_and_clears_the_warning(app, client, db, panel, frozen_clock):
    event = _computed(db, panel, datetime(2026, 12, 28, 2, 0, tzinfo=UTC))
    workcalendar.add_override(db.session, day=date(2027, 1, 1), working=False, note="元旦", actor=panel["admin"],
                              now=clock.now())
    db.session.commit()
    _sign_in(client, panel)
    page = client.get(f"/certificates/admin/{event.public_id}").get_data(as_text=True)
    assert "现在发布，公示截止 2027-01-05 10:00。" in page and "尚未知" not in page
    client.submit(f"/certificates/admin/{event.public_id}", {"action": "publish"})
    assert results.publication_of(db.session, event).ends_at == datetime(2027, 1, 5, 2, 0, tzinfo=UTC)


def test_the_stored_end_does_not_move_when_the_calendar_changes(db, panel, frozen_clock):
    """Computed once, when publishing: an override entered afterwards changes later publicities only."""
    publication = _publish(db, panel, datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    workcalendar.add_override(db.session, day=date(2026, 10, 12), working=False, note="", actor=panel["admin"],
                              now=clock.now())
    db.session.commit()
    db.session.expire_all()
    assert publication.ends_at == datetime(2026, 10, 13, 2, 0, tzinfo=UTC)
    assert workcalendar.working_days_after(db.session, start=publication.published_at, days=5).at == \
        datetime(2026, 10, 14, 2, 0, tzinfo=UTC)


def test_a_certificate_issued_on_new_years_morning_in_beijing_carries_the_new_year(app, db, panel, final_results,
                                                                                 frozen_clock):
    """2026-12-31 17:00 UTC is 2027-01-01 01:00 in Beijing: the number says 2027 (it said 2026)."""
    with app.test_request_context():
        certificate = services.issue(db.session, result=final_results[0], actor=panel["admin"],
                                     now=datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    assert certificate.number.startswith("2026GD2027I00001")  # event code 2026GD, year 2027, intermediate


def test_a_number_issued_with_the_old_letter_still_verifies(app, db, panel, final_results, frozen_clock):
    from certificates import rules

    with app.test_request_context():
        certificate = services.issue(db.session, result=final_results[0], actor=panel["admin"], now=clock.now())
        old = "2026GD2026M00001"
        certificate.number = old + rules.check_character(old)  # as issued before the one letter table
        db.session.commit()
        found = services.lookup(db.session, number=certificate.number.lower(), name=certificate.holder_name,
                                address="198.51.100.7", now=clock.now())
    assert found is not None and found.id == certificate.id
    assert db.session.scalar(select(Certificate.number)) == certificate.number
