"""The administrator's working-day page (issue 17): the library's official days of a year, the
overrides, added and removed with the audit trail, bad input answered on the form, nothing saved."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditLog
from core.workcalendar import WorkdayOverride

URL = "/admin/working-days"


@pytest.fixture
def admin(login_as):
    clock.freeze(datetime(2026, 12, 2, 6, 0, tzinfo=UTC))
    return login_as("admin")


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(WorkdayOverride))


def test_the_page_shows_the_official_days_and_warns_of_an_unknown_year(client, admin):
    page = client.get(URL).get_data(as_text=True)
    assert f'href="{URL}"' in page  # in the administrator's menu
    years = page.split('data-testid="calendar-years"', 1)[1].split("</table>", 1)[0]
    assert '<tr data-year="2026">' in years and '<tr class="table-warning" data-year="2027">' in years
    official = page.split('data-testid="official"', 1)[1].split("</table>", 1)[0]
    assert "2026-10-10" in official and "调休上班" in official and "国庆节" in official
    assert "2026-10-03" not in official  # a Saturday off is no news: only what differs from Mon-Fri is listed
    later = client.get(URL, query_string={"year": "2027"}).get_data(as_text=True)
    assert 'data-testid="calendar-warning"' in later and "节假日库不含 2027 年" in later
    for odd in ("abc", "99999", "-1"):  # a bad year shows this year, never an error
        assert client.get(URL, query_string={"year": odd}).status_code == 200


def test_an_override_is_added_listed_audited_and_removed(client, db, admin):
    done = client.submit(URL, {"day": "2027-01-01", "working": "0", "note": "元旦"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "已保存调整：2027-01-01" in page
    listed = page.split('data-testid="overrides"', 1)[1].split("</table>", 1)[0]
    assert "2027-01-01" in listed and "元旦" in listed and "休息日" in listed
    assert 'data-testid="calendar-warning"' not in page  # 2027 has its schedule now
    entry = db.session.scalar(select(AuditLog).filter_by(action="workday.override_add"))
    assert entry.after == {"day": "2027-01-01", "working": False, "note": "元旦"} and entry.actor_id == admin.id
    override = db.session.scalar(select(WorkdayOverride))
    client.submit(f"{URL}/{override.id}/remove", {})
    assert _count(db) == 0
    removed = db.session.scalar(select(AuditLog).filter_by(action="workday.override_remove"))
    assert removed.before["day"] == "2027-01-01"
    audit_page = client.get("/admin/audit").get_data(as_text=True)
    assert "新增工作日调整" in audit_page and "删除工作日调整" in audit_page


@pytest.mark.parametrize("fields, message", [
    ({"day": "", "working": "0"}, "请输入日期"),
    ({"day": "2027-02-30", "working": "0"}, 'name="day"'),
    ({"day": "0001-01-01", "working": "0"}, "1900"),
    ({"day": "2027-01-01", "working": "maybe"}, 'name="working"'),
    ({"day": "2027-01-01", "working": "0", "note": "x" * 201}, 'name="note"'),
    ({"day": "2027-01-01", "working": "0", "note": "a\x00b"}, "控制字符"),
])
def test_bad_input_is_refused_on_the_form(client, db, admin, fields, message):
    response = client.submit(URL, fields)
    assert response.status_code == 400 and "invalid-feedback" in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert _count(db) == 0


def test_a_date_has_one_override_and_a_forged_request_changes_nothing(client, db, admin):
    client.submit(URL, {"day": "2027-10-09", "working": "1"})
    again = client.submit(URL, {"day": "2027-10-09", "working": "0"})
    assert again.status_code == 400 and "2027-10-09 已有调整" in again.get_data(as_text=True)
    override = db.session.scalar(select(WorkdayOverride))
    assert override.day == date(2027, 10, 9) and override.working is True
    assert client.post(URL, data={"day": "2027-10-10", "working": "0"}).status_code == 400  # no CSRF token
    client.post(f"{URL}/{override.id}/remove")  # no CSRF token: not removed
    assert _count(db) == 1
    assert client.submit(f"{URL}/999999/remove", {}).status_code == 404
