import json
import re
from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from exam.models import Attempt, Exam


def start_page(client, exam):
    response = client.submit(f"/exam/{exam.public_id}/start", {})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def config_of(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="exam-config">(.*?)</script>', page, re.S)[1])


def save(client, url, saves):
    return client.post(url, json={"saves": saves}, headers={"X-CSRFToken": client.csrf_token()})


def test_candidate_takes_the_exam_and_no_key_reaches_the_page(client, login_as, make_exam, db, frozen_clock):
    user = login_as("candidate")
    exam = make_exam([user])
    page = client.get("/exam/").get_data(as_text=True)
    assert exam.title in page
    attempt_url = start_page(client, exam)
    html = client.get(attempt_url).get_data(as_text=True)
    config = config_of(html)
    attempt = db.session.scalar(select(Attempt))
    for item in attempt.paper.items:
        assert f'data-item="{item.id}"' in html
        if item.version.type.value == "fill_blank":
            assert item.version.answer[0][0] not in html  # the accepted answer is nowhere in the page
    assert "answer" not in json.dumps(config["answers"]) and config["remaining"] == 3600
    assert "explanation" not in html and "示例解析" not in html
    item = attempt.paper.items[0]
    response = save(client, config["save_url"], [{"item": item.id, "response": None, "seq": 1, "flagged": True}])
    body = response.get_json()
    assert response.status_code == 200 and body["acks"][0]["seq"] == 1 and body["remaining"] == 3600
    assert "server_time" in body and "deadline" in body
    submitted = client.submit(f"{attempt_url}/submit")
    assert submitted.headers["Location"].endswith("/receipt")
    receipt = client.get(submitted.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert attempt.receipt_digest in receipt and attempt.chain_head in receipt


def test_save_without_csrf_is_refused(client, login_as, make_exam, frozen_clock):
    user = login_as("candidate")
    exam = make_exam([user])
    config = config_of(client.get(start_page(client, exam)).get_data(as_text=True))
    response = client.post(config["save_url"], json={"saves": []})
    assert response.status_code == 400


def test_late_save_gets_a_clear_json_refusal(client, login_as, make_exam, db, frozen_clock):
    user = login_as("candidate")
    exam = make_exam([user])
    config = config_of(client.get(start_page(client, exam)).get_data(as_text=True))
    attempt = db.session.scalar(select(Attempt))
    item = attempt.paper.items[0]
    frozen_clock.advance(minutes=61)
    response = save(client, config["save_url"], [{"item": item.id, "response": None, "seq": 1}])
    body = response.get_json()
    assert response.status_code == 409 and body["closed"] is True
    assert "时间" in body["message"] or "Time" in body["message"]
    db.session.expire_all()
    assert not attempt.open and attempt.answers == []


def test_candidates_cannot_touch_each_others_attempts(app, client, login_as, create_user, make_exam, frozen_clock):
    owner = create_user("candidate")
    exam = make_exam([owner])
    other_client = app.test_client()
    other_client.submit("/login", {"username": owner.username, "password": "Correct-horse-42"})
    attempt_url = start_page(other_client, exam)
    config = config_of(other_client.get(attempt_url).get_data(as_text=True))
    login_as("candidate")  # somebody else, on `client`
    assert client.get(attempt_url).status_code == 403
    assert save(client, config["save_url"], []).status_code == 403
    assert client.submit(f"{attempt_url}/submit").status_code == 403
    assert client.get(f"{attempt_url}/receipt").status_code == 403
    assert client.get(config["clock_url"]).status_code == 403


def test_result_and_key_only_after_release(client, login_as, make_exam, db, create_user, frozen_clock):
    user = login_as("candidate")
    exam = make_exam([user])
    attempt_url = start_page(client, exam)
    client.submit(f"{attempt_url}/submit")
    assert client.get(f"{attempt_url}/result").status_code == 404
    from exam import services

    services.release_results(db.session, exam=exam, actor=None, now=clock.now())
    db.session.commit()
    page = client.get(f"{attempt_url}/result").get_data(as_text=True)
    assert "示例解析" in page  # review allowed after release: keys and explanations shown


def test_admin_sets_up_and_publishes_an_exam_through_the_pages(client, login_as, bank, create_user, db,
                                                               frozen_clock):
    cand = create_user("candidate")
    login_as("admin")
    now = clock.now()
    response = client.submit("/exam/admin/new", {
        "title": "中级理论", "event": "2026 认证", "level": "junior", "duration_minutes": "60",
        "opens_at": (now + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M"),
        "pass_score": "60", "review_policy": "never", "multiple_rule": "partial", "partial_fraction": "0.5",
        "grace_seconds": "15", "shuffle_questions": "y", "shuffle_options": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    exam = db.session.scalar(select(Exam))
    assert exam.opens_at == now.replace(second=0)  # 10:00 Shanghai entered, stored as 02:00 UTC
    url = f"/exam/admin/{exam.public_id}"
    client.submit(f"{url}/sections", {"type": "single", "points": "2", "count_0": "50"})
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="shortfalls"' in page and "50" in page
    section = exam.sections[0]
    client.submit(f"{url}/sections/{section.id}/delete")
    client.submit(f"{url}/sections", {"type": "single", "points": "2", "count_0": "2", "module_0": "1",
                                      "count_1": "3"})
    page = client.get(url).get_data(as_text=True)
    assert 'data-testid="blueprint-ok"' in page
    refused = client.submit(f"{url}/roster", {"names": f"nobody {cand.username}"}, follow_redirects=True)
    assert "nobody" in refused.get_data(as_text=True) and len(exam.roster) == 0  # nobody added
    client.submit(f"{url}/roster", {"names": cand.username})
    client.submit(f"{url}/publish")
    db.session.expire_all()
    assert exam.status.value == "published" and len(exam.roster) == 1
    monitor = client.get(f"/exam/admin/{exam.public_id}/monitor?format=json").get_json()
    assert monitor["rows"][0]["state"] == "not_started"


def test_practice_checks_an_answer_and_records_nothing(client, login_as, bank, db):
    from core.audit import AuditLog
    from question_bank.models import Question

    login_as("candidate")
    page = client.get("/exam/practice?module=1&level=junior").get_data(as_text=True)
    public_id = re.search(r'name="question" value="([^"]+)"', page).group(1)
    question = db.session.scalar(select(Question).filter_by(public_id=public_id))
    version = question.current_version
    assert version.module == 1 and "示例解析" not in page  # no explanation before answering
    before = db.session.scalar(select(func.count()).select_from(AuditLog))
    data = {"question": public_id}
    kind = version.kind  # the inputs are named "answer", read as the page's inputs are (Kind.from_form)
    response = kind.example_response(version.answer)
    data["answer"] = json.dumps(response) if kind.json_values else response
    result = client.submit("/exam/practice", data).get_data(as_text=True)
    assert 'data-testid="practice-result"' in result and "alert-success" in result and "示例解析" in result
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == before


def test_item_analysis_page(client, login_as, make_exam, create_user, db, frozen_clock):
    from exam import services

    users = [create_user("candidate") for _ in range(4)]
    exam = make_exam(users)
    for n, user in enumerate(users):
        attempt = services.start_attempt(db.session, exam=exam, user=user, now=clock.now(), access_code="",
                                         device_token="d")
        saves = [{"item": item.id, "response": item.version.answer, "seq": 1}
                 for item in attempt.paper.items[: 4 + 4 * n] if item.version.type.value in ("single", "true_false")]
        services.save_answers(db.session, attempt=attempt, device_token="d", saves=saves, now=clock.now())
        services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    db.session.commit()
    login_as("admin")
    page = client.get(f"/exam/admin/{exam.public_id}/analysis").get_data(as_text=True)
    assert 'data-testid="exam-stats"' in page and "4" in page
    rows, stats = services.item_analysis(db.session, exam)
    assert stats.candidates == 4 and all(0 <= s.facility <= 1 for _v, s in rows)


def test_proctor_sees_the_attempt_record(client, login_as, make_exam, create_user, db, frozen_clock):
    from exam import services

    user = create_user("candidate")
    exam = make_exam([user])
    attempt = services.start_attempt(db.session, exam=exam, user=user, now=clock.now(), access_code="",
                                     device_token="d", address="10.0.0.8")
    item = attempt.paper.items[0]
    services.save_answers(db.session, attempt=attempt, device_token="d", now=clock.now(), address="10.0.0.8",
                          saves=[{"item": item.id, "response": None, "seq": 1, "flagged": True}])
    services.record_events(db.session, attempt=attempt, kinds=["hidden", "visible", "bogus"], now=clock.now())
    db.session.commit()
    login_as("admin")
    page = client.get(f"/exam/admin/{exam.public_id}/attempts/{attempt.public_id}").get_data(as_text=True)
    assert "10.0.0.8" in page and "hidden" in page and "bogus" not in page and "text-bg-success" in page
    monitor = client.get(f"/exam/admin/{exam.public_id}/monitor?format=json").get_json()
    assert monitor["rows"][0]["focus_losses"] == 1 and monitor["rows"][0]["state"] == "in_progress"
