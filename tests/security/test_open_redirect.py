"""Redirect targets taken from the request (the sign-in page's `next`, the language switch's
`next`) stay on this site, also when written the ways browsers still read as another host
(backslashes, tabs and line breaks, which browsers drop from a URL). Found while checking what the
pages echo; tests/accounts/test_login.py and tests/core/test_i18n.py cover `//` and `https://`."""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import PASSWORD


def off_site(location: str) -> bool:
    """Whether a browser following `location` would leave the site."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    parts = urlsplit(cleaned)
    return bool(parts.scheme or parts.netloc) or cleaned.startswith("//")


HOSTILE = [
    "/\\evil.example",
    "/\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "\\/evil.example",
    "/%2F/evil.example",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_sign_in_next_stays_on_site(client, create_user, target):
    user = create_user("candidate")
    response = client.submit(
        f"/login?next={quote(target, safe='')}", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert not off_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    ["/%5Cevil.example", "/%5C%5Cevil.example", "/%09/evil.example", "/%0A/evil.example"],
    ids=["backslash", "two backslashes", "tab", "line break"],
)
def test_language_switch_on_a_crafted_page_stays_on_site(app, client, path):
    """A link to a page that does not exist, then a click on the language button: the victim
    must stay on the site. base.html puts the decoded path into the language form's `next`."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = client.get(path)
    assert page.status_code == 404
    target = html.unescape(
        re.search(r'name="next" value="([^"]*)"', page.get_data(as_text=True))[1]
    )
    response = client.submit("/language", {"lang": "en", "next": target})
    assert response.status_code == 302
    assert not off_site(response.headers["Location"]), response.headers["Location"]
