"""The employer's Excel check (issue 17): a sheet of (number, name) comes back with each row's
status, level, dates, verify link and remark, read in one bulk query and logged row by row; a
malformed sheet, a file that is no .xlsx, a zip bomb, a sheet over the row limit, a missing
column or an empty sheet is refused with a clear message, and nothing is logged or counted."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from certificates import services
from certificates.employers import demo as employers_demo
from certificates.employers import services as employers
from certificates.employers.models import ApiKey
from certificates.models import Verification
from core import clock
from tests.certificates.employers_support import buckets, logged, workbook
from tests.conftest import statements

CHECK = "/employers/check"


def _upload(client, data: bytes, filename="certificates.xlsx", url=CHECK):
    # Encoded here: the test client spools a body over 500 KB to a temporary file it never closes.
    fields = {"csrf_token": client.csrf_token(), "sheet": FileStorage(io.BytesIO(data), filename=filename)}
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _result(client, response):
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    page = client.get(location)
    assert page.status_code == 200
    download = client.get(location + ".xlsx")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    return page.get_data(as_text=True), load_workbook(io.BytesIO(download.data)).active


def _message(response) -> str:
    text = response.get_data(as_text=True)
    found = re.findall(r'<div class="invalid-feedback">([^<]+)</div>', text)
    found += re.findall(r'role="alert">\s*([^<]+)', text)
    return " ".join(found)


def test_the_round_trip_answers_every_row(app, client, db, panel, issued, login_as, frozen_clock):
    first, second = issued
    services.revoke(db.session, certificate=second, reason="作废", actor=panel["admin"], now=clock.now())
    db.session.commit()
    login_as("employer", full_name="示范企业")
    rows = [
        ("工号", "证书编号", "姓名"),
        ("E01", first.number, first.holder_name),
        ("E02", second.number, second.holder_name),
        (None, None, None),  # a blank row stays in place
        ("E03", first.number, "别人"),
        ("E04", "ABC123", "某人"),
        ("E05", first.number, None),
        ("E06", first.number.lower(), f" {first.holder_name} "),  # the same certificate again
        ("=HYPERLINK(\"http://evil.example\",\"x\")", "=1+1", "@SUM(A1)"),
    ]
    page, ws = _result(client, _upload(client, workbook(rows)))
    summary = dict(re.findall(r'data-status="(\w+)">[^:<]+: (\d+)<', page))
    assert summary == {"valid": "2", "revoked": "1", "not_found": "3", "not_checked": "1"}
    header = [c.value for c in ws[1]]
    assert header[:3] == ["工号", "证书编号", "姓名"] and header[3:] == ["状态", "等级或奖项", "发证日期", "有效期至",
                                                                     "核验链接", "备注"]
    table = {row[0].value: row for row in ws.iter_rows(min_row=2) if row[0].value}
    assert ws.cell(row=4, column=1).value is None  # the blank row, where it was
    assert table["E01"][3].value == "有效" and table["E01"][4].value == "中级"
    assert table["E01"][5].value == first.issued_at.date().isoformat() and table["E01"][6].value in (None, "")
    with app.test_request_context():
        assert table["E01"][7].value == services.verify_url(first)
    assert table["E02"][3].value == "已撤销" and "作废" in table["E02"][8].value
    assert table["E03"][3].value == "未找到" and "姓名与证书编号不符" in table["E03"][8].value
    assert table["E04"][3].value == "未找到" and "证书编号格式有误" in table["E04"][8].value
    assert table["E05"][3].value == "未核验" and "姓名" in table["E05"][8].value
    assert table["E06"][3].value == "有效" and "第 2 行" in table["E06"][8].value
    formula_row = next(r for r in ws.iter_rows(min_row=2) if str(r[0].value).startswith("=HYPERLINK"))
    assert all(c.data_type == "s" for c in formula_row[:3])  # text, never a formula
    assert [c.value for c in formula_row[:3]] == [rows[-1][0], "=1+1", "@SUM(A1)"]
    # Each checked row logged as the verify page logs (not the incomplete one).
    assert logged(db, method="excel") == 6 and logged(db, method="excel", found=True) == 3


def test_headers_in_english_or_none(client, db, issued, login_as):
    certificate = issued[0]
    login_as("employer")
    _page, ws = _result(client, _upload(client, workbook([("Name", "Certificate No."),
                                                          (certificate.holder_name, certificate.number)])))
    assert [c.value for c in ws[2]][:3] == [certificate.holder_name, certificate.number, "有效"]
    page, ws = _result(client, _upload(client, workbook([(certificate.number, certificate.holder_name)])))
    assert ws.cell(row=1, column=1).value == "证书编号" and ws.cell(row=2, column=3).value == "有效"
    assert "没有表头" in page or "表头" in page


def test_the_template_is_read_back(client, login_as):
    login_as("employer")
    response = client.get("/employers/template.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in ws[1]] == ["证书编号", "姓名"]
    # The template as downloaded is a sheet with a header and no rows: refused, saying so.
    assert "没有要核验的证书" in _message(_upload(client, response.data))


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    return buffer.getvalue()


def test_bad_sheets_are_refused_with_a_clear_message_and_change_nothing(app, client, db, issued, login_as):
    certificate = issued[0]
    login_as("employer")
    app.config.update(EMPLOYER_CHECK_MAX_BYTES=2 * 1024 * 1024)
    many = [("证书编号", "姓名")] + [(certificate.number, certificate.holder_name)] * 10_000
    cases = {
        "csv renamed": (b"\xef\xbb\xbfnumber,name\nA1,B\n", "不是 Excel .xlsx 文件"),
        "pdf renamed": (b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF", "不是 Excel .xlsx 文件"),
        "zip, not a workbook": (_zip_of({"a.txt": b"hello"}), "不是 Excel .xlsx 文件"),
        "zip bomb": (_bomb(), "压缩比"),
        "10,000 rows": (workbook(many), "5,000"),
        "missing name column": (workbook([("证书编号", "部门"), (certificate.number, "IT")]), "没有姓名列"),
        "missing number column": (workbook([("姓名",), (certificate.holder_name,)]), "没有证书编号列"),
        "no columns found": (workbook([("员工", "部门"), ("张三", "IT")]), "未找到表格的列"),
        "only one column": (workbook([(certificate.number,)]), "未找到表格的列"),
        "empty sheet": (workbook([]), "表格是空的"),
        "blank rows only": (workbook([(None, None)] * 5), "表格是空的"),
        "too large": (b"PK" + b"\0" * (2 * 1024 * 1024 + 10), "大于"),
    }
    for case, (data, expected) in cases.items():
        response = _upload(client, data)
        assert response.status_code == 400, case
        message = _message(response)
        assert expected in message, (case, message)
    assert "5,000" in _message(_upload(client, workbook(many)))
    response = _upload(client, workbook([(certificate.number, certificate.holder_name)]), filename="sheet.csv")
    assert response.status_code == 400 and ".xlsx" in _message(response)
    assert logged(db) == 0 and buckets(db, "employer-check") == 0


def _zip_of(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_refusal_of_10000_rows_names_the_limit_in_english(client, db, issued, login_as):
    certificate = issued[0]
    login_as("employer")
    many = [("Certificate number", "Name")] + [(certificate.number, certificate.holder_name)] * 10_000
    message = _message(_upload(client, workbook(many), url=CHECK + "?lang=en"))
    assert "more than 5,000 rows" in message and "Split" in message
    assert logged(db) == 0


def test_one_bulk_read_for_the_whole_sheet(app, db, issued, create_user, frozen_clock):
    """The statements a check runs do not grow with its rows."""
    certificate = issued[0]
    user = create_user("employer")

    def count(n: int) -> int:
        data = workbook([("证书编号", "姓名")] + [(certificate.number, certificate.holder_name)] * n
                        + [(f"X{i}", "某人") for i in range(n)] + [(certificate.number, f"别人{i}") for i in range(n)])
        with app.test_request_context(), statements() as seen:
            employers.check_sheet(db.session, data=data, user=user, address="198.51.100.1", now=clock.now())
        db.session.rollback()
        return len(seen)

    assert count(3) == count(60)


def test_rows_per_day_are_limited_per_account(app, client, db, issued, login_as, frozen_clock):
    certificate = issued[0]
    app.config.update(EMPLOYER_CHECK_ROWS_PER_DAY=5)
    login_as("employer")
    sheet = workbook([(certificate.number, certificate.holder_name)] * 3)
    assert _upload(client, sheet).status_code == 302
    refused = _upload(client, sheet)
    assert refused.status_code == 429 and "5" in _message(refused) and refused.headers["Retry-After"]
    assert logged(db, method="excel") == 3
    frozen_clock.advance(days=1, seconds=1)
    assert _upload(client, sheet).status_code == 302


def test_who_may_check_and_see_a_result(client, db, issued, login_as, create_user):
    certificate = issued[0]
    employer = login_as("employer")
    page = client.get("/").get_data(as_text=True)
    assert 'data-endpoint="employers.check"' in page and 'data-testid="employer-panel"' in page
    shown = set(re.findall(r'data-endpoint="([^"]+)"', page))
    assert shown == {"accounts.home", "employers.check"}
    location = _upload(client, workbook([(certificate.number, certificate.holder_name)])).headers["Location"]
    assert client.get(location).status_code == 200
    client.submit("/logout")
    other = create_user("employer")
    client.submit("/login", {"username": other.username, "password": "Correct-horse-42"})
    assert client.get(location).status_code == 404 and client.get(location + ".xlsx").status_code == 404
    client.submit("/logout")
    login_as("candidate")
    assert client.get(CHECK).status_code == 403 and client.get("/employers/template.xlsx").status_code == 403
    assert employer.role.label == "用人单位"


def test_an_administrator_may_check_too(client, db, issued, login_as):
    certificate = issued[0]
    login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert 'data-endpoint="employers.check"' in page and 'data-endpoint="employers.api_keys"' in page
    _page, ws = _result(client, _upload(client, workbook([(certificate.number, certificate.holder_name)])))
    assert ws.cell(row=2, column=3).value == "有效"


def test_the_demo_has_an_employer_and_a_working_key(app, client, db, issued):
    from accounts import demo as accounts_demo

    app.config.update(DEMO_PASSWORD="demo-pass-2026")
    with app.test_request_context():
        accounts_demo.load(db.session)
        lines = employers_demo.load(db.session)
        db.session.commit()
    secret = employers.demo_secret("demo-pass-2026")
    assert secret in lines[0] and "curl" in lines[1]
    key = db.session.query(ApiKey).one()
    assert key.owner.username == "employer" and key.owner.role.value == "employer"
    certificate = issued[0]
    response = client.get("/api/v1/certificates/verify", query_string={"number": certificate.number,
                                                                       "name": certificate.holder_name},
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.get_json()["status"] == "valid"
    with app.test_request_context():
        assert employers_demo.load(db.session) == [
            "demo API key already present (the API keys page shows its secret when DEMO_PASSWORD is set)"]
    client.submit("/login", {"username": "admin", "password": "demo-pass-2026"})
    page = client.get("/certificates/admin/api-keys").get_data(as_text=True)
    assert secret in page
    assert db.session.query(Verification).filter_by(method="api").count() == 1


def test_an_administrator_creates_an_employer_account_on_the_users_page(client, db, login_as):
    from accounts.models import Role, User

    login_as("admin")
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="employer"' in page and "用人单位" in page
    response = client.submit("/admin/users/new", {"username": "acme", "full_name": "某某科技有限公司",
                                                  "role": "employer", "centre": "", "active": "y",
                                                  "password": "Employer-pass-2026"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    user = db.session.query(User).filter_by(username="acme").one()
    assert user.role is Role.EMPLOYER and user.centre_id is None and user.full_name == "某某科技有限公司"
