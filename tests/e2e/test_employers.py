"""An employer checks a sheet of certificates in the browser (issue 17): signs in, downloads the
template, uploads a sheet, reads the summary and downloads the checked sheet; the administrator's
key page shows the demo key, which answers through the JSON API."""

from __future__ import annotations

import io
import json
import urllib.parse
import urllib.request

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from certificates.models import Certificate
from core.excel import append_row
from core.extensions import db
from registration.models import Event
from tests.e2e.conftest import ARTIFACTS, DEMO_PASSWORD, press
from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.e2e


def _demo_certificate(app) -> Certificate:
    with app.app_context():
        event = db.session.scalar(select(Event).filter_by(code="DEMO25"))
        certificate = db.session.scalar(select(Certificate).filter_by(event_id=event.id))
        db.session.expunge(certificate)
        return certificate


def _opened(download):
    """A downloaded workbook (Playwright keeps it under a name without its extension)."""
    with open(download.path(), "rb") as file:
        return load_workbook(io.BytesIO(file.read()))


def _sheet(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        append_row(wb.active, row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_an_employer_checks_a_sheet(page, live_app, screenshot, tmp_path):
    certificate = _demo_certificate(live_app)
    sign_in(page, "employer")
    assert "用人单位" in page.get_by_test_id("home-role").inner_text()
    shown = set(page.locator("[data-testid=main-nav] a").evaluate_all("links => links.map(a => a.dataset.endpoint)"))
    assert shown == {"accounts.home", "employers.check"}
    screenshot("employer-home")
    page.locator("[data-testid=main-nav] a[data-endpoint='employers.check']").click()
    with page.expect_download() as template:
        page.get_by_test_id("template").click()
    screenshot("employer-check")
    header = [c.value for c in _opened(template.value).active[1]]
    assert header == ["证书编号", "姓名"]
    upload = tmp_path / "staff.xlsx"
    upload.write_bytes(_sheet([("工号", "证书编号", "姓名"), ("A-001", certificate.number, certificate.holder_name),
                               ("A-002", certificate.number, "冒名者"), ("A-003", "NOTANUMBER1", "某人")]))
    page.get_by_label("Excel 表格（.xlsx）").set_input_files(str(upload))
    press(page, "核验表格")
    summary = page.get_by_test_id("summary").inner_text()
    assert "有效: 1" in summary and "未找到: 2" in summary
    rows = page.get_by_test_id("rows")
    assert "姓名与证书编号不符" in rows.inner_text()
    screenshot("employer-check-result")
    with page.expect_download() as checked:
        page.get_by_test_id("download").click()
    ws = _opened(checked.value).active
    assert [c.value for c in ws[1]][:4] == ["工号", "证书编号", "姓名", "状态"]
    assert [ws.cell(row=r, column=4).value for r in (2, 3, 4)] == ["有效", "未找到", "未找到"]
    assert ws.cell(row=2, column=5).value == certificate.title
    # A file that is not a workbook: a clear message on the same page, nothing else happens.
    bogus = tmp_path / "renamed.xlsx"
    bogus.write_bytes(b"number,name\n1,2\n")
    page.get_by_label("Excel 表格（.xlsx）").set_input_files(str(bogus))
    press(page, "核验表格")
    assert "不是 Excel .xlsx 文件" in page.locator(".invalid-feedback").inner_text()


def test_the_demo_key_answers_through_the_api(page, live_server, live_app, screenshot):
    certificate = _demo_certificate(live_app)
    sign_in(page, "admin")
    page.goto("/certificates/admin/api-keys")
    secret = page.get_by_test_id("demo-secret").locator("code").inner_text().strip()
    assert secret.startswith("iiomk_")
    screenshot("employer-api-keys")
    query = urllib.parse.urlencode({"number": certificate.number, "name": certificate.holder_name})
    request = urllib.request.Request(f"{live_server}/api/v1/certificates/verify?{query}",
                                     headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "valid" and body["status_label"] == "Valid" and body["holder_name"] == "陈思远"
    assert DEMO_PASSWORD not in json.dumps(body)
    ARTIFACTS.mkdir(exist_ok=True)
