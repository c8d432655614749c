"""The exam's keys stay secret until results are released, and the exam's inputs are bounded
(issue 12: H1, M8, L1, L6)."""

import re

import pytest
from sqlalchemy import func, select

from core import clock
from core.errors import DomainError
from exam import services
from exam.models import AnswerEvent, Attempt, PaperItem
from question_bank.models import Question, QuestionVersion
from tests.exam.test_views import config_of, save, start_page


def _practice_question(client):
    page = client.get("/exam/practice").get_data(as_text=True)
    match = re.search(r'name="question" value="([^"]+)"', page)
    return match.group(1) if match else None


def test_practice_is_refused_while_an_attempt_is_in_progress(client, login_as, make_exam, bank, frozen_clock):
    """Issue 12 H1: with an exam open in another tab, practice would reveal its keys."""
    user = login_as("candidate")
    exam = make_exam([user])
    start_page(client, exam)
    response = client.get("/exam/practice")
    assert response.status_code == 409 and 'data-testid="practice-closed"' in response.get_data(as_text=True)
    question = bank[0]
    response = client.submit("/exam/practice", {"question": question.public_id, "answer": "A"})
    assert response.status_code == 409 and "示例解析" not in response.get_data(as_text=True)


def test_practice_never_shows_a_key_without_an_answer(client, login_as, bank):
    """Issue 12 H1: a POST with no answer used to render the key and the explanation."""
    login_as("candidate")
    public_id = _practice_question(client)
    response = client.submit("/exam/practice", {"question": public_id})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "示例解析" not in page and 'data-testid="practice-result"' not in page
    assert "请先选择或填写答案" in page


def test_practice_never_shows_a_question_frozen_into_an_unreleased_exam(client, login_as, create_user, make_exam,
                                                                       bank, db, frozen_clock):
    """Issue 12 H1: items of a paper whose results are not released are neither offered nor checked;
    after the release they come back."""
    other = create_user("candidate")
    exam = make_exam([other])
    frozen = set(db.session.scalars(
        select(Question.public_id).join(QuestionVersion, QuestionVersion.question_id == Question.id)
        .join(PaperItem, PaperItem.question_version_id == QuestionVersion.id)))
    assert frozen, "the exam froze no question"
    login_as("candidate")
    offered = {_practice_question(client) for _ in range(60)}
    assert not offered & frozen
    some = next(iter(frozen))
    assert client.submit("/exam/practice", {"question": some, "answer": "true"}).status_code == 404
    # Released: the frozen questions are practice again.
    services.release_results(db.session, exam=exam, actor=None, now=exam.closes_at)
    db.session.commit()
    answer = {"question": some, "answer": "true"}  # an answer of any type (JSON for true/false)
    assert client.submit("/exam/practice", answer).status_code == 200


def test_results_wait_for_everyone_who_can_still_start(client, login_as, create_user, make_exam, db, frozen_clock):
    """Issue 12 M8: released keys must not reach a roster member who has not started yet; after the
    release nobody can start or be reopened."""
    early, late = create_user("candidate"), create_user("candidate")
    exam = make_exam([early, late])
    attempt = services.start_attempt(db.session, exam=exam, user=early, now=clock.now(), access_code="",
                                     device_token="d")
    services.submit(db.session, attempt=attempt, now=clock.now(), by="candidate")
    db.session.commit()
    with pytest.raises(DomainError, match="尚未参加考试"):
        services.release_results(db.session, exam=exam, actor=None, now=clock.now())
    db.session.rollback()
    assert exam.results_released_at is None
    services.release_results(db.session, exam=exam, actor=None, now=exam.closes_at)  # the window has closed
    db.session.commit()
    with pytest.raises(DomainError):
        services.start_attempt(db.session, exam=exam, user=late, now=clock.now(), access_code="", device_token="e")
    db.session.rollback()
    assert services.attempt_of(db.session, exam, late) is None
    with pytest.raises(DomainError, match="成绩已发布"):
        services.reopen(db.session, attempt=attempt, minutes=10, reason="power cut", actor=None, now=clock.now())


def test_access_code_guesses_back_off(client, login_as, make_exam, db, frozen_clock):
    """Issue 12 L1: the access code could be guessed without limit (60 guesses in 0.6 s)."""
    user = login_as("candidate")
    exam = make_exam([user], access_code="K7Q2M9")
    for guess in range(5):
        page = client.submit(f"/exam/{exam.public_id}/start", {"access_code": f"AAAA{guess}"},
                             follow_redirects=True).get_data(as_text=True)
        assert "准入码错误" in page
    page = client.submit(f"/exam/{exam.public_id}/start", {"access_code": "K7Q2M9"},
                         follow_redirects=True).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0  # even the right code waits
    frozen_clock.advance(seconds=31)
    assert client.submit(f"/exam/{exam.public_id}/start", {"access_code": "K7Q2M9"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


@pytest.mark.parametrize("seq", [2**63, 2**64, 2**31, 10**30])
def test_huge_sequence_numbers_are_refused_and_change_nothing(client, login_as, make_exam, db, frozen_clock, seq):
    """Issue 12 L6: autosave with seq >= 2^63 answered 500."""
    user = login_as("candidate")
    exam = make_exam([user])
    url = start_page(client, exam)
    config = config_of(client.get(url).get_data(as_text=True))
    attempt = db.session.scalar(select(Attempt))
    item = attempt.paper.items[0].id
    for saves in ([{"item": item, "response": None, "seq": seq}], [{"item": seq, "response": None, "seq": 1}]):
        response = save(client, config["save_url"], saves)
        assert response.status_code == 200 and response.get_json()["rejected"][0]["reason"] == "bad_request"
    assert db.session.scalar(select(func.count()).select_from(AnswerEvent)) == 0
