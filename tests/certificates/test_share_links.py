"""Holder share links (issue 17): the holder makes a link valid 30 to 180 days to their
certificate's verify page, sees its visits, and revokes it; the link shows the certificate's facts
while active, answers 410 with nothing personal once expired or revoked, and 404 for a token never
issued."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from accounts import services as accounts
from certificates import services, sharing
from certificates.models import Verification
from core import clock
from core.audit import AuditLog
from core.errors import DomainError
from tests.conftest import PASSWORD


@pytest.fixture
def issued(app, db, panel, final_results, frozen_clock):
    """A certificate of the first candidate, whose account can sign in."""
    with app.test_request_context():
        certificate = services.issue(db.session, result=final_results[0], actor=panel["admin"], now=clock.now())
    holder = final_results[0].registration.user
    accounts.set_password(db.session, user=holder, password=PASSWORD, by_admin=False)
    db.session.commit()
    return certificate


def _holder(certificate):
    return certificate.registration.user


def _sign_in(client, user):
    response = client.submit("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _photo(client, token) -> int:
    with client.get(f"/s/{token}/photo") as response:
        return response.status_code


def _links(db) -> int:
    return db.session.scalar(select(func.count()).select_from(sharing.ShareLink))


def _create(db, certificate, days, label=""):
    link = sharing.create(db.session, certificate=certificate, days=days, label=label, actor=_holder(certificate),
                          now=clock.now())
    db.session.commit()
    return link


# --- the service -------------------------------------------------------------------------------


@pytest.mark.parametrize("days,expected", [(30, 30), (180, 180), ("30", 30), (" 180 ", 180), ("９０", 90),
                                           (90.0, 90)])
def test_a_link_is_valid_from_30_to_180_days(app, db, issued, days, expected):
    with app.test_request_context():
        link = _create(db, issued, days, label="for 示范公司 HR")
    assert link.expires_at == clock.now() + timedelta(days=expected)
    assert link.state(clock.now()) == sharing.ACTIVE and link.visits == 0 and link.label == "for 示范公司 HR"
    assert len(link.token) == 32 and link.token != link.public_id


@pytest.mark.parametrize("days", [29, 181, 0, -30, "29", "181", "abc", "", "  ", None, True, "30.5", 30.5, "NaN",
                                  float("nan"), "1e309", 1e309, float("inf"), "-inf", 10**30, "9" * 400, "3\x000",
                                  "٣٠"])
def test_any_other_validity_is_refused_and_nothing_is_made(app, db, issued, days):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(DomainError) as refused:
            sharing.create(db.session, certificate=issued, days=days, label="", actor=_holder(issued),
                           now=clock.now())
        assert refused.value.field == "days" and "from 30 to 180" in str(refused.value.message)
    db.session.rollback()
    assert _links(db) == 0


def test_a_revoked_or_superseded_certificate_cannot_be_shared(app, db, panel, issued):
    with app.test_request_context(), force_locale("en"):
        services.revoke(db.session, certificate=issued, reason="信息有误", actor=panel["admin"], now=clock.now())
        with pytest.raises(DomainError, match="revoked"):
            sharing.create(db.session, certificate=issued, days=90, label="", actor=None, now=clock.now())
    assert _links(db) == 0


def test_a_superseded_certificate_cannot_be_shared(app, db, panel, issued):
    with app.test_request_context(), force_locale("en"):
        services.reissue(db.session, certificate=issued, note="遗失", actor=panel["admin"], now=clock.now())
        with pytest.raises(DomainError, match="superseded"):
            sharing.create(db.session, certificate=issued, days=90, label="", actor=None, now=clock.now())


def test_active_links_of_a_certificate_are_bounded(app, db, issued, frozen_clock):
    with app.test_request_context(), force_locale("en"):
        links = [_create(db, issued, 30) for _n in range(sharing.MAX_ACTIVE)]
        with pytest.raises(DomainError, match="active share links"):
            sharing.create(db.session, certificate=issued, days=30, label="", actor=None, now=clock.now())
        db.session.rollback()
        sharing.revoke(db.session, link=links[0], actor=None, now=clock.now())
        frozen_clock.advance(days=1, seconds=1)  # a day later, one place is free again
        _create(db, issued, 30)
    assert _links(db) == sharing.MAX_ACTIVE + 1


def test_the_label_is_bounded_and_plain_text(app, db, issued):
    with app.test_request_context():
        for label in ("x" * 101, "HR\x00"):
            with pytest.raises(DomainError) as refused:
                sharing.create(db.session, certificate=issued, days=30, label=label, actor=None, now=clock.now())
            assert refused.value.field == "label"
    assert _links(db) == 0


def test_resolve_tells_each_state(app, db, issued, frozen_clock):
    with app.test_request_context(), force_locale("en"):
        link = _create(db, issued, 30)
        other = _create(db, issued, 90)
        sharing.revoke(db.session, link=other, actor=None, now=clock.now())
        assert sharing.resolve(db.session, link.token, clock.now()).state == sharing.ACTIVE
        assert sharing.resolve(db.session, other.token, clock.now()).state == sharing.REVOKED
        assert sharing.resolve(db.session, link.token, link.expires_at).state == sharing.EXPIRED
        for junk in ("", "x", link.token[:-1], link.token + "x", "../" + link.token, "a" * 10_000, "令牌" * 10):
            assert sharing.resolve(db.session, junk, clock.now()) == sharing.Resolved(sharing.UNKNOWN)
        with pytest.raises(DomainError, match="already"):
            sharing.revoke(db.session, link=other, actor=None, now=clock.now())


def test_create_and_revoke_are_in_the_audit_log(app, db, issued):
    with app.test_request_context():
        link = _create(db, issued, 60, label="HR")
        sharing.revoke(db.session, link=link, actor=_holder(issued), now=clock.now())
        db.session.commit()
    rows = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "share_links")
                              .order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["share_link.create", "share_link.revoke"]
    assert all(r.object_id == link.public_id and r.actor_id == _holder(issued).id for r in rows)
    assert rows[0].after["days"] == 60 and rows[0].after["label"] == "HR"
    assert all(link.token not in str([r.before, r.after, r.object_label]) for r in rows)  # the secret stays out


# --- the holder's pages ------------------------------------------------------------------------


def test_the_holder_makes_lists_and_revokes_links(app, client, db, issued):
    _sign_in(client, _holder(issued))
    mine = client.get("/my-results").get_data(as_text=True)
    page_url = f"/my-results/share/{issued.public_id}"
    assert page_url in mine
    assert client.get(page_url).status_code == 200
    made = client.submit(page_url, {"period": "180", "days": "", "label": "给示范公司 HR"})
    assert made.status_code == 302
    made = client.submit(page_url, {"period": "other", "days": "45", "label": ""}, follow_redirects=True)
    page = made.get_data(as_text=True)
    links = db.session.scalars(select(sharing.ShareLink).order_by(sharing.ShareLink.id)).all()
    assert [(link.expires_at - link.created_at).days for link in links] == [180, 45]
    for link in links:
        assert f"http://localhost/s/{link.token}" in page
    assert "给示范公司 HR" in page and "分享链接已生成" in page and 'data-copy="share-url-' in page
    revoked = client.submit(f"/my-results/share/links/{links[0].public_id}/revoke", follow_redirects=True)
    assert revoked.status_code == 200 and "已撤销" in revoked.get_data(as_text=True)
    assert links[0].revoked_at is not None and links[1].revoked_at is None


@pytest.mark.parametrize("days", ["29", "181", "abc", "NaN", "1e309", "-1", "9" * 30])
def test_the_form_refuses_other_validities_in_chinese(client, db, issued, days):
    _sign_in(client, _holder(issued))
    response = client.submit(f"/my-results/share/{issued.public_id}", {"period": "other", "days": days})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请选择链接的有效期：30 到 180 之间的整数天数" in page and "is-invalid" in page
    assert _links(db) == 0


def test_a_forged_period_or_missing_csrf_changes_nothing(client, db, issued):
    _sign_in(client, _holder(issued))
    url = f"/my-results/share/{issued.public_id}"
    assert client.submit(url, {"period": "365"}).status_code == 400
    assert client.post(url, data={"period": "90"}).status_code == 400  # no CSRF token
    assert _links(db) == 0


def test_nobody_else_makes_or_revokes_a_holders_link(app, client, db, issued, create_user, panel):
    with app.test_request_context():
        link = _create(db, issued, 30)
    url, revoke = f"/my-results/share/{issued.public_id}", f"/my-results/share/links/{link.public_id}/revoke"
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    _sign_in(client, create_user("candidate"))
    assert client.get(url).status_code == 403
    assert client.submit(url, {"period": "90"}).status_code == 403
    assert client.submit(revoke).status_code == 403
    assert client.get("/my-results/share/does-not-exist").status_code == 404
    assert client.submit("/my-results/share/links/does-not-exist/revoke").status_code == 404
    client.submit("/logout")
    _sign_in(client, panel["admin"])  # an administrator has no holder's page either
    assert client.get(url).status_code == 403
    assert _links(db) == 1 and link.revoked_at is None


# --- the public link ---------------------------------------------------------------------------


def test_an_active_link_shows_the_verify_page_then_410_after_expiry(app, client, db, issued, frozen_clock):
    with app.test_request_context():
        link = _create(db, issued, 30)
    response = client.get(f"/s/{link.token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-status="valid"' in page and issued.holder_name in page and issued.number in page
    assert 'data-testid="share-note"' in page and link.expires_at.strftime("%Y-%m-%d") in page
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert f"/s/{link.token}/photo" in page and "/verify/" not in page  # nothing lasting handed out
    assert _photo(client, link.token) == 200

    frozen_clock.advance(days=30)
    gone = client.get(f"/s/{link.token}")
    text = gone.get_data(as_text=True)
    assert gone.status_code == 410 and 'data-state="expired"' in text
    assert issued.holder_name not in text and issued.number not in text and issued.masked_id not in text
    assert gone.headers["Cache-Control"] == "private, no-store"
    assert _photo(client, link.token) == 404


def test_a_revoked_link_answers_410_and_junk_404(app, client, db, issued):
    with app.test_request_context():
        link = _create(db, issued, 90)
    assert client.get(f"/s/{link.token}").status_code == 200
    with app.test_request_context():
        sharing.revoke(db.session, link=link, actor=None, now=clock.now())
        db.session.commit()
    gone = client.get(f"/s/{link.token}")
    text = gone.get_data(as_text=True)
    assert gone.status_code == 410 and 'data-state="revoked"' in text and issued.holder_name not in text
    for junk in ("bogus", link.token[:-1] + ("A" if link.token[-1] != "A" else "B"), "x" * 5000, "%00",
                 "%E4%BB%A4%E7%89%8C", "..%2F..%2Fetc", services.token(issued)):
        response = client.get(f"/s/{junk}")
        assert response.status_code == 404, junk
        assert issued.holder_name not in response.get_data(as_text=True)


def test_a_link_shows_the_certificates_own_status(app, client, db, panel, issued):
    """A certificate revoked after the link was made: the link still opens, and says revoked."""
    with app.test_request_context():
        link = _create(db, issued, 90)
        services.revoke(db.session, certificate=issued, reason="信息有误", actor=panel["admin"], now=clock.now())
        db.session.commit()
    page = client.get(f"/s/{link.token}").get_data(as_text=True)
    assert 'data-status="revoked"' in page and "/photo" not in page
    assert _photo(client, link.token) == 404


def test_visits_are_counted_and_logged(app, client, db, issued, frozen_clock):
    with app.test_request_context():
        link = _create(db, issued, 90)
    for n in range(3):
        client.get(f"/s/{link.token}", environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"})
    frozen_clock.advance(hours=2)
    client.get(f"/s/{link.token}")
    db.session.refresh(link)
    assert link.visits == 4 and link.last_visited_at == clock.now()
    rows = db.session.scalars(select(Verification).order_by(Verification.id)).all()
    assert [(r.method, r.certificate_id, r.found) for r in rows] == [("share", issued.id, True)] * 4
    client.get("/s/bogus")
    assert db.session.scalar(select(Verification).order_by(Verification.id.desc())).found is False

    _sign_in(client, _holder(issued))  # the holder's own look is not a visit
    page = client.get(f"/s/{link.token}").get_data(as_text=True)
    db.session.refresh(link)
    assert link.visits == 4 and "不计入" in page
    listed = client.get(f"/my-results/share/{issued.public_id}").get_data(as_text=True)
    assert 'data-testid="share-visits">4' in listed


def test_the_demo_certificate_has_an_active_share_link(runner, client):
    output = runner.invoke(args=["core", "load-demo"]).output
    url = next(line.split()[-1] for line in output.splitlines() if line.startswith("demo share link"))
    response = client.get(url[url.index("/s/"):])
    assert response.status_code == 200 and "陈思远" in response.get_data(as_text=True)
