"""Both languages render the base pages; the Chinese catalog is complete and up to date."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
ZH_PO = ROOT / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def test_chinese_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert "登录" in page and "用户名" in page and "Sign in" not in page


def test_switching_to_english_is_remembered(client):
    response = client.submit("/language", {"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page and "Username" in page
    assert "登录" not in page


def test_unknown_language_is_ignored(client):
    client.submit("/language", {"lang": "xx", "next": "/login"})
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_language_choice_is_kept_on_the_account(app, client, login_as):
    user = login_as("candidate")
    client.submit("/language", {"lang": "en"})
    other = app.test_client()  # a new browser, no cookie
    other.submit("/login", {"username": user.username, "password": "Correct-horse-42"})
    assert "Welcome" in other.get("/").get_data(as_text=True)


def test_language_next_must_be_local(client):
    response = client.submit("/language", {"lang": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("lang,expected", [("zh_Hans_CN", "欢迎"), ("en", "Welcome")])
@pytest.mark.parametrize("role", ["admin", "candidate", "centre_staff", "referee", "chief_referee"])
def test_home_pages_in_both_languages(client, login_as, role, lang, expected):
    login_as(role)
    client.submit("/language", {"lang": lang})
    for url in ["/", "/account/password"]:
        response = client.get(url)
        assert response.status_code == 200
        assert expected in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("lang,words", [("zh_Hans_CN", ["用户", "审计日志", "培训机构"]),
                                        ("en", ["Users", "Audit log", "Training centres"])])
def test_admin_pages_in_both_languages(client, login_as, lang, words):
    login_as("admin")
    client.submit("/language", {"lang": lang})
    for url, word in zip(["/admin/users", "/admin/audit", "/admin/centres"], words, strict=True):
        response = client.get(url)
        assert response.status_code == 200 and word in response.get_data(as_text=True)


def _read(path):
    with path.open("rb") as f:
        return read_po(f)


def test_chinese_catalog_is_complete():
    catalog = _read(ZH_PO)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_catalog_matches_the_source(tmp_path):
    """Every user-facing string in the code is in the catalog (run `make extract-messages`)."""
    pot = tmp_path / "messages.pot"
    sources = ["app.py", "config.py", "core", "accounts", "registration", "question_bank", "exam",
               "scoring", "certificates", "cockpit", "templates"]
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs=.* __pycache__", "-o", str(pot), *sources],
        cwd=ROOT, check=True, capture_output=True,
    )
    extracted = {m.id for m in _read(pot) if m.id}
    catalog = {m.id for m in _read(ZH_PO) if m.id}
    assert extracted - catalog == set(), "strings missing from the catalog"
    assert catalog - extracted == set(), "obsolete strings in the catalog"
