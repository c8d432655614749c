from decimal import Decimal as D

from sqlalchemy import func, select

from scoring import services
from scoring.models import Mark
from tests.conftest import PASSWORD
from tests.scoring.conftest import station


def sign_in(client, user):
    assert client.submit("/login", {"username": user.username, "password": PASSWORD}).status_code == 302


def test_referee_sees_and_writes_only_assigned_stations(app, client, db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    mine, other = panel["people"][0], panel["people"][1]
    services.assign(db.session, task=task, referee=panel["r1"], stations=[station(db, task, mine)],
                    actor=panel["admin"])
    db.session.commit()
    sign_in(client, panel["r1"])
    page = client.get("/scoring/").get_data(as_text=True)
    assert f">{station(db, task, mine)}<" in page and "选手" not in page  # station numbers, never names
    own = f"/scoring/tasks/{task.id}/stations/{station(db, task, mine)}"
    foreign = f"/scoring/tasks/{task.id}/stations/{station(db, task, other)}"
    entry = client.get(own).get_data(as_text=True)
    assert "选手" not in entry and panel["centre_a"].name not in entry
    assert client.get(foreign).status_code == 403
    ids = {a.code: a.id for a in task.aspects}
    assert client.submit(foreign, {f"aspect_{ids['1.1']}": "5", "action": "draft"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Mark)) == 0
    response = client.submit(own, {f"aspect_{ids['1.1']}": "99", "action": "draft"})
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Mark)) == 0
    client.submit(own, {f"aspect_{ids['1.1']}": "8", "action": "draft"})
    assert db.session.scalar(select(Mark.value)) == D(8)


def test_panel_pages_by_role(client, db, panel, create_user, frozen_clock):
    event = panel["scheme"].event
    sign_in(client, panel["r1"])
    assert client.get(f"/scoring/events/{event.public_id}").status_code == 403
    client.submit("/logout")
    sign_in(client, panel["chief"])
    assert client.get(f"/scoring/events/{event.public_id}").status_code == 200
    board = client.get(f"/scoring/events/{event.public_id}/board?format=json").get_json()
    assert len(board["rows"]) == 3 and set(board["rows"][0]["states"].values()) == {"blind"}  # no task signed off
    assert client.get(f"/scoring/events/{event.public_id}/results.xlsx").status_code == 403
    client.submit("/logout")
    sign_in(client, panel["admin"])
    board = client.get(f"/scoring/events/{event.public_id}/board?format=json").get_json()
    assert set(board["rows"][0]["states"].values()) == {"not_started"}  # the administrator keeps the link
    assert client.get(f"/scoring/events/{event.public_id}/results.xlsx").data[:2] == b"PK"
    response = client.submit(f"/scoring/events/{event.public_id}/assign", {
        "task": str(panel["scheme"].tasks[0].id), "referee": panel["r2"].username, "stations": "1-3"})
    assert response.status_code == 302
    assert services.is_assigned(db.session, panel["scheme"].tasks[0], panel["r2"], panel["people"][2])


def test_score_sheet_pdf_is_blind_until_sign_off(client, db, panel, frozen_clock):
    import io

    from pypdf import PdfReader

    task = panel["scheme"].tasks[0]
    sign_in(client, panel["chief"])
    text = PdfReader(io.BytesIO(client.get(f"/scoring/tasks/{task.id}/sheet.pdf").data)).pages[0].extract_text()
    assert "评分表" in text and "裁判长签字" in text
    assert not any(p.candidate_number in text for p in panel["people"])


def test_candidate_score_history_page(client, db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    person = panel["people"][0]
    services.assign(db.session, task=task, referee=panel["r1"], stations=[station(db, task, person)],
                    actor=panel["admin"])
    ids = {a.code: a.id for a in task.aspects}
    services.save_marks(db.session, task=task, registration=person, referee=panel["r1"], now=panel["scheme"].locked_at,
                        entries={ids["1.1"]: ("9", None), ids["1.2"]: ("4", None), ids["1.3"]: ("2", None)},
                        submit=True)
    db.session.commit()
    url = f"/scoring/events/{panel['scheme'].event.public_id}/candidates/{person.public_id}"
    sign_in(client, panel["admin"])
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "已录入评分" in text and "裁判一" in text
    assert "15.67" in text  # 9 + 4 + 2/3 × 4
    client.submit("/logout")
    sign_in(client, panel["chief"])  # blind marking: not before the chief referee signs the task off
    text = client.get(url).get_data(as_text=True)
    assert "已录入评分" not in text and "裁判一" not in text and "15.67" not in text


def test_marks_that_are_not_finite_numbers_are_refused_on_their_field(client, db, panel, frozen_clock):
    """Issue 12: "NaN", "sNaN", "Infinity" and numbers beyond any mark are Python Decimals that
    compare or divide only by raising; the entry page refuses them like any other wrong mark."""
    task = panel["scheme"].tasks[0]
    person = panel["people"][0]
    services.assign(db.session, task=task, referee=panel["r1"], stations=[station(db, task, person)],
                    actor=panel["admin"])
    db.session.commit()
    sign_in(client, panel["r1"])
    url = f"/scoring/tasks/{task.id}/stations/{station(db, task, person)}"
    ids = {a.code: a.id for a in task.aspects}
    for value in ("NaN", "sNaN", "-Infinity", "1e400", "9" * 400):
        for code in ("1.1", "1.2", "1.3"):  # measured on a scale, all or nothing, judged
            response = client.submit(url, {f"aspect_{ids[code]}": value, "action": "submit"})
            assert response.status_code == 200, (value, code)
            page = response.get_data(as_text=True)
            assert "is-invalid" in page and "不是有效的数字" in page and "未保存任何内容" in page, (value, code)
    assert db.session.scalar(select(func.count()).select_from(Mark)) == 0


def test_video_scores_that_are_not_finite_numbers_are_refused(app, client, db, panel, frozen_clock):
    from core import clock, uploads
    from core.forms import NOT_A_NUMBER
    from scoring import video
    from scoring.models import RUBRIC, TeachingVideo, VideoScore

    person = panel["people"][0]
    name = f"{person.public_id}.mp4"
    (uploads.folder(video.FOLDER) / name).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    item = TeachingVideo(registration_id=person.id, file=name, submitted_at=clock.now())
    db.session.add(item)
    video.assign_expert(db.session, event=person.event, user=panel["r1"], actor=panel["admin"])
    db.session.commit()
    sign_in(client, panel["r1"])
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        message = f"{RUBRIC[3][1]}: {NOT_A_NUMBER}"  # in the user's language (Chinese by default)
    scores = {"objectives": "15", "content": "20", "methods": "20", "process": "20", "media": "15",
              "evaluation": "10"}
    for value in ("NaN", "sNaN", "Infinity"):
        response = client.submit(f"/scoring/videos/{item.public_id}/score", {**scores, "process": value},
                                 follow_redirects=True)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), value
    assert db.session.scalar(select(func.count()).select_from(VideoScore)) == 0
    assert client.submit(f"/scoring/videos/{item.public_id}/score", scores).status_code == 302
    assert db.session.scalar(select(VideoScore.total)) == D(100)
