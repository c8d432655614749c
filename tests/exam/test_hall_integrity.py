"""An exam's integrity settings (issue 13): allowed client networks and Safe Exam Browser. The
gate refuses what answers from outside them, with a message that names nothing secret, and writes
nothing; the receipt and the result may be read from anywhere."""

import hashlib

from sqlalchemy import func, select

from exam import rules
from exam.models import AnswerEvent, Attempt

CONFIG_KEY = hashlib.sha256(b'{"allowQuit":false,"sendBrowserExamKey":true}').hexdigest()


def _seb_header(url: str, key: str = CONFIG_KEY) -> dict:
    """What SEB sends: SHA-256 of the absolute URL (no fragment) followed by the Config Key."""
    return {"X-SafeExamBrowser-ConfigKeyHash": hashlib.sha256((url + key).encode()).hexdigest()}


def test_the_seb_rule_follows_the_specification():
    url = "https://exam.example.cn/exam/attempts/abc?x=1"
    good = _seb_header(url)["X-SafeExamBrowser-ConfigKeyHash"]
    assert rules.seb_request_ok(url=url, header=good, config_keys=[CONFIG_KEY])
    assert rules.seb_request_ok(url=url + "#q3", header=good.upper(), config_keys=["0" * 64, CONFIG_KEY.upper()])
    assert not rules.seb_request_ok(url=url + "&y=2", header=good, config_keys=[CONFIG_KEY])  # another URL
    assert not rules.seb_request_ok(url=url, header=good, config_keys=["f" * 64])  # another configuration
    assert not rules.seb_request_ok(url=url, header=None, config_keys=[CONFIG_KEY])


def _start(client, exam, **kwargs):
    return client.post(f"/exam/{exam.public_id}/start", data={"csrf_token": client.csrf_token()}, **kwargs)


def test_only_the_allowed_networks_may_start_and_answer(client, login_as, make_exam, db, frozen_clock):
    user = login_as("candidate")
    exam = make_exam([user], allowed_networks="10.20.0.0/16\n192.168.5.0/24")
    outside = {"REMOTE_ADDR": "203.0.113.7"}
    inside = {"REMOTE_ADDR": "10.20.3.4"}
    page = _start(client, exam, environ_base=outside, follow_redirects=True).get_data(as_text=True)
    assert "考场网络" in page and "10.20" not in page  # the refusal names no network
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    response = _start(client, exam, environ_base=inside)
    assert response.status_code == 302
    url = response.headers["Location"]
    assert client.get(url, environ_base=inside).status_code == 200
    refused = client.get(url, environ_base=outside)
    assert refused.status_code == 403 and "考场网络" in refused.get_data(as_text=True)
    attempt = db.session.scalar(select(Attempt))
    item = next(i.id for i in attempt.paper.items if i.version.type.value == "true_false")
    token = client.csrf_token()
    saved = client.post(f"{url}/answers", json={"saves": [{"item": item, "response": True, "seq": 1}]},
                        headers={"X-CSRFToken": token}, environ_base=outside)
    assert saved.status_code == 403 and "taken_over" not in saved.get_json()  # the page keeps it and retries
    assert db.session.scalar(select(func.count()).select_from(AnswerEvent)) == 0
    saved = client.post(f"{url}/answers", json={"saves": [{"item": item, "response": True, "seq": 1}]},
                        headers={"X-CSRFToken": token}, environ_base=inside)
    assert saved.status_code == 200 and saved.get_json()["acks"]
    assert client.post(f"{url}/submit", data={"csrf_token": token}, environ_base=outside).status_code == 403
    assert client.post(f"{url}/submit", data={"csrf_token": token}, environ_base=inside).status_code == 302
    assert client.get(f"{url}/receipt", environ_base=outside).status_code == 200  # read anywhere


def test_safe_exam_browser_with_the_exams_config_key(app, client, login_as, make_exam, db, frozen_clock):
    user = login_as("candidate")
    exam = make_exam([user], seb_config_keys=CONFIG_KEY)
    start_url = f"http://localhost/exam/{exam.public_id}/start"
    page = _start(client, exam, follow_redirects=True).get_data(as_text=True)
    assert "Safe Exam Browser" in page and CONFIG_KEY not in page
    wrong = _seb_header(start_url, "e" * 64)
    assert _start(client, exam, headers=wrong).headers["Location"].endswith("/exam/")
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    response = _start(client, exam, headers=_seb_header(start_url))
    assert response.status_code == 302 and "/attempts/" in response.headers["Location"]
    url = response.headers["Location"]
    assert client.get(url, headers=_seb_header(f"http://localhost{url}")).status_code == 200
    assert client.get(url, headers=_seb_header(start_url)).status_code == 403  # a hash for another URL
    assert client.get(url).status_code == 403


def test_the_settings_form_refuses_what_is_not_a_network_or_a_key(client, login_as, make_exam, db):
    from exam.forms import ExamForm

    login_as("admin")
    with client.application.test_request_context(method="POST", data={
            "allowed_networks": "10.0.0.0/8\nhall-3", "seb_config_keys": "abc"}):
        form = ExamForm(meta={"csrf": False})
        form.validate()
        assert "hall-3" in " ".join(map(str, form.allowed_networks.errors))
        assert form.seb_config_keys.errors


def test_a_hall_s_own_settings_override_the_exam_s(client, login_as, make_exam, db, frozen_clock):
    """Per-hall overrides: the exam allows anywhere, hall A only its own network, hall B follows
    the exam. A hall's Config Keys likewise replace the exam's."""
    from exam import halls

    user = login_as("candidate")
    exam = make_exam([user])
    hall = halls.add_hall(db.session, exam=exam, name="第一考场", room="A101", seats=30, actor=None)
    halls.seat(db.session, hall=hall, usernames=[user.username], actor=None)
    halls.set_integrity(db.session, hall=hall, networks="10.20.0.0/16", config_keys=None, actor=None)
    db.session.commit()
    assert _start(client, exam, environ_base={"REMOTE_ADDR": "203.0.113.7"}).headers["Location"].endswith("/exam/")
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    response = _start(client, exam, environ_base={"REMOTE_ADDR": "10.20.3.4"})
    assert "/attempts/" in response.headers["Location"]
    url = response.headers["Location"]
    halls.set_integrity(db.session, hall=hall, networks=None, config_keys=CONFIG_KEY, actor=None)
    db.session.commit()
    absolute = f"http://localhost{url}"
    assert client.get(url).status_code == 403  # no SEB header now
    assert client.get(url, headers=_seb_header(absolute)).status_code == 200
    halls.set_integrity(db.session, hall=hall, networks=None, config_keys=None, actor=None)
    db.session.commit()
    assert client.get(url).status_code == 200  # back to the exam's settings: anywhere, any browser


def test_bad_hall_settings_are_refused_and_change_nothing(make_exam, db):
    import pytest

    from core.errors import DomainError
    from exam import halls

    exam = make_exam([])
    hall = halls.add_hall(db.session, exam=exam, name="第一考场", room="", seats=30, actor=None)
    for networks, keys in (("10.0.0.0/33", None), (None, "abc"), ("10.0.0.0/8\nnot-a-network", None)):
        with pytest.raises(DomainError):
            halls.set_integrity(db.session, hall=hall, networks=networks, config_keys=keys, actor=None)
        assert hall.allowed_networks is None and hall.seb_config_keys is None


def test_the_focus_loss_policy_warns_alerts_and_submits_only_when_told(client, login_as, make_exam, db, frozen_clock):
    from tests.exam.test_views import config_of

    user = login_as("candidate")
    exam = make_exam([user], focus_warn_at=2, focus_alert_at=3, focus_submit_at=0)
    config = config_of(client.get(_start(client, exam).headers["Location"]).get_data(as_text=True))
    token = client.csrf_token()

    def lose():
        return client.post(config["events_url"], json={"events": ["blur"]}, headers={"X-CSRFToken": token}).get_json()

    assert [lose()["focus"] for _ in range(5)] == ["", "warn", "alert", "alert", "alert"]
    assert db.session.scalar(select(Attempt)).open  # never submitted: the exam did not say so
    exam.focus_submit_at = 6
    db.session.commit()
    body = lose()
    assert body["focus"] == "submit" and body["closed"] and body["receipt_url"]
    attempt = db.session.scalar(select(Attempt))
    db.session.refresh(attempt)
    assert not attempt.open and attempt.submitted_by == "focus"
