"""Issue 12 L7: blind marking holds for the chief referee too. The score sheet lists a task's
stations with their marks; before the chief referee's sign-off no panel page may name the
candidate behind a station, directly or through what it shows of them (their marks, score, total,
history or progress in that task), or the two together would link every station to its
candidate. The administrator keeps the link. The one rule is scoring.services.blind."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from core import clock
from scoring import services
from tests.scoring.conftest import station
from tests.security.conftest import sign_in

# Two candidates at task 1 with marks that tell them apart: 12 + 4 + 3/3 × 4 and 5 + 0 + 1/3 × 4.
MARKS = ({"1.1": "12", "1.2": "4", "1.3": "3"}, {"1.1": "5", "1.2": "0", "1.3": "1"})
SCORES = ("20.00", "6.33")


@pytest.fixture
def marked(db, panel, frozen_clock):
    task = panel["scheme"].tasks[0]
    ids = {a.code: a.id for a in task.aspects}
    people = panel["people"][:2]
    for person, values in zip(people, MARKS, strict=True):
        services.assign(db.session, task=task, referee=panel["r1"], stations=[station(db, task, person)],
                        actor=panel["admin"])
        services.save_marks(db.session, task=task, registration=person, referee=panel["r1"], submit=True,
                            entries={ids[code]: (value, None) for code, value in values.items()}, now=clock.now())
    db.session.commit()
    return {**panel, "task": task, "marked": people}


def _pages(client, panel, task) -> dict[str, str]:
    """What a panel member can read about task 1: the candidate pages, the board, the sheet."""
    event = task.scheme.event.public_id
    pages = {f"candidate {p.candidate_number}": client.get(f"/scoring/events/{event}/candidates/{p.public_id}")
             for p in panel["marked"]}
    pages["board"] = client.get(f"/scoring/events/{event}/board")
    pages["board.json"] = client.get(f"/scoring/events/{event}/board?format=json")
    pages["sheet"] = client.get(f"/scoring/tasks/{task.id}/sheet.pdf")
    for name, response in pages.items():
        assert response.status_code == 200, name
    out = {name: r.get_data(as_text=True) for name, r in pages.items() if name != "sheet"}
    out["sheet"] = PdfReader(io.BytesIO(pages["sheet"].data)).pages[0].extract_text()
    return out


def _links(pages: dict[str, str], panel) -> list[str]:
    """Everything on the pages that ties task 1's stations to the candidates."""
    found = []
    for person, score in zip(panel["marked"], SCORES, strict=True):
        page = pages[f"candidate {person.candidate_number}"]
        if score in page:
            found.append(f"{person.candidate_number}'s page shows their task 1 score {score}")
        if "已录入评分" in page or panel["r1"].full_name in page:
            found.append(f"{person.candidate_number}'s page shows the history or the referees of their marks")
        if person.candidate_number in pages["sheet"]:
            found.append(f"the score sheet names {person.candidate_number}")
    states = {row["candidate"]: row["states"]["1"] for row in json.loads(pages["board.json"])["rows"]}
    if set(states.values()) - {"blind", "locked"}:
        found.append(f"the board shows each candidate's progress in task 1: {states}")
    return found


def test_the_chief_referee_cannot_link_stations_to_candidates_before_signing_off(client, browser, db, marked):
    """Issue 12 L7."""
    task, chief = marked["task"], marked["chief"]
    sign_in(client, chief)
    sheet = _pages(client, marked, task)["sheet"]
    assert all(score in sheet for score in SCORES)  # the stations and their marks, as before

    assert _links(_pages(client, marked, task), marked) == []  # marking
    services.lock_task(db.session, task=task, chief=chief, now=clock.now())
    db.session.commit()
    assert _links(_pages(client, marked, task), marked) == []  # locked, not signed off
    services.sign_off(db.session, task=task, stage="referee", user=marked["r1"], now=clock.now())  # in their session
    db.session.commit()
    assert _links(_pages(client, marked, task), marked) == []  # the referee stage is not the chief's

    assert client.submit(f"/scoring/tasks/{task.id}/sign/chief").status_code == 302
    signed = _pages(client, marked, task)
    for person, score in zip(marked["marked"], SCORES, strict=True):
        assert score in signed[f"candidate {person.candidate_number}"]
        assert person.candidate_number in signed["sheet"]

    # The administrator unlocks (marks may change again): blind again until the next sign-off.
    admin = browser(marked["admin"])
    assert admin.submit(f"/scoring/tasks/{task.id}/unlock", {"reason": "复核"}).status_code == 302
    assert _links(_pages(client, marked, task), marked) == []


def test_the_administrator_keeps_the_link(browser, marked):
    """The administrator's pages show each candidate's marks and progress while marking is on; the
    score sheet, a document for the panel to sign, stays blind whoever prints it."""
    admin = browser(marked["admin"])
    pages = _pages(admin, marked, marked["task"])
    found = _links(pages, marked)
    assert len([f for f in found if "score" in f and "sheet" not in f]) == 2
    assert any("board" in f for f in found)
    assert not any("sheet" in f for f in found)


def test_a_task_signed_off_is_open_while_the_others_stay_blind(client, db, marked):
    """Per task: task 1 signed off shows its marks; task 2, still marking, stays out of the
    candidate's page, and so does the practical total, which would give task 2's score away."""
    task, chief, person = marked["task"], marked["chief"], marked["marked"][0]
    task2 = task.scheme.tasks[1]
    ids = {a.code: a.id for a in task2.aspects}
    services.assign(db.session, task=task2, referee=marked["r1"], stations=[station(db, task2, person)],
                    actor=marked["admin"])
    services.save_marks(db.session, task=task2, registration=person, referee=marked["r1"], submit=False,
                        entries={ids["2.1"]: ("7", None)}, now=clock.now())
    services.lock_task(db.session, task=task, chief=chief, now=clock.now())
    services.sign_off(db.session, task=task, stage="referee", user=marked["r1"], now=clock.now())
    services.sign_off(db.session, task=task, stage="chief", user=chief, now=clock.now())
    db.session.commit()
    sign_in(client, chief)
    page = client.get(f"/scoring/events/{task.scheme.event.public_id}/candidates/{person.public_id}")
    text = page.get_data(as_text=True)
    assert SCORES[0] in text  # task 1, signed off
    assert 'data-testid="task-2"' in text and "7.00" not in text  # task 2's draft mark
    assert '<strong>—</strong>' in text[text.index('data-testid="practical-total"'):][:200]
    assert text.count("已录入评分") == 3  # task 1's three marks in the history, not task 2's
