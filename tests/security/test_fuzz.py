"""Fuzzing: for every route that accepts POST (or PUT/PATCH/DELETE), hostile values never yield a
server error. Forms get each of their fields set to each hostile value (the other fields as the
page fills them in, with a valid CSRF token); JSON endpoints get hostile JSON in every place of a
valid body, and hostile bodies. Status < 500 is the whole assertion: a refusal is the right answer.

The harness is built from the application, so it stays complete as routes are added:
- the routes come from `app.url_map`, each requested by a role its access policy admits
  (`core.access.roles_admitted`, as in tests/core/test_access.py);
- URL parameters are real objects of one world (`world` below), found by the URL segment before
  the parameter; a new kind of parameter fails `test_fuzz_covers_every_write_route` until it is
  named in URL_OBJECTS;
- field names come from every POST form on every page of the site (crawled as each role) and from
  the WTForms classes the view uses; JSON endpoints are those whose view reads `json_object`
  (core.http) or `get_json`, and each needs a valid body in JSON_BODIES.
"""

from __future__ import annotations

import io
import json
import re
import traceback
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.test import encode_multipart
from wtforms import DateTimeField, StringField
from wtforms.fields.core import UnboundField

from accounts.models import Role
from certificates import services as certificates
from certificates import sharing
from certificates.employers import services as employers
from certificates.employers.models import RatePeriod
from certificates.models import Objection, Publication, ResultStatus
from core import clock, uploads, workcalendar
from core.access import PUBLIC, policy_of, roles_admitted
from core.notify import Notification
from exam import halls
from exam.models import Attempt
from registration import services as registration
from scoring import services as scoring
from scoring import video
from scoring.models import Flag, TeachingVideo
from tests.registration.conftest import form_data, make_id, photo_bytes
from tests.scoring.conftest import station
from tests.security.conftest import sign_in

ROLES = [r.value for r in Role]
ANONYMOUS = "anonymous"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Routes the fuzz pass does not send to, each with the reason. Everything else in url_map that
# accepts a write method must be covered (test_fuzz_covers_every_write_route).
EXCLUDED = {
    # Ends the session the rest of the run needs, and reads no field; tests/core/test_access.py
    # covers it for every role.
    "accounts.logout": "ends the session",
}

# Which signed-in role sends to a route its policy admits to several: the first admitted here.
# Referees before the chief referee: the stations are assigned to the referee.
ROLE_ORDER = ("admin", "referee", "chief_referee", "centre_staff", "candidate")
ROLE_FOR = {  # routes whose deepest code only one of the admitted roles reaches
    "registration.act": "centre_staff",  # the centre submits its own draft
    "registration.edit": "centre_staff",
    "registration.return_form": "centre_staff",  # the centre returns a form submitted to it
    "scoring.video_submit": "centre_staff",
}

# The object a URL parameter stands for: (blueprint, the URL segment before it, its name) → a key
# of the world. ENDPOINT_OBJECTS overrides it where one route needs an object in another state.
URL_OBJECTS = {
    ("accounts", "centres", "public_id"): "centre",
    ("accounts", "users", "public_id"): "victim",
    ("certificates", "admin", "public_id"): "event",
    ("cockpit", "events", "code"): "event_code",
    ("core", "inbox", "note_id"): "note",
    ("core", "working-days", "override_id"): "workday",
    ("certificates", "certificates", "public_id"): "certificate",
    ("certificates", "objections", "public_id"): "objection",
    ("certificates", "results", "registration_id"): "published_registration",
    ("certificates", "results", "public_id"): "event",
    ("certificates", "my-results", "registration_id"): "published_registration",
    ("certificates", "verify", "token"): "verify_token",
    ("sharing", "share", "public_id"): "own_certificate",
    ("sharing", "links", "link_id"): "share_link",
    ("sharing", "s", "token"): "share_token",
    ("employers", "api-keys", "public_id"): "api_key",
    ("employers", "v1", "rest"): "api_path",
    ("exam", "exam", "public_id"): "exam",
    ("exam", "admin", "public_id"): "exam",
    ("exam", "attempts", "attempt_id"): "attempt",
    ("exam", "attempts", "public_id"): "attempt",
    ("exam", "sections", "section_id"): "section",
    ("exam", "halls", "hall_id"): "hall",
    ("exam", "takeovers", "attempt_id"): "attempt",
    ("exam", "unlock", "username"): "candidate_username",
    ("question_bank", "question-bank", "public_id"): "question",
    ("question_bank", "import", "token"): "import_token",
    ("question_bank", "versions", "number"): "version_number",
    ("registration", "registration", "public_id"): "draft",
    ("registration", "act", "action"): "action",
    ("registration", "check-in", "public_id"): "enrolled",
    ("registration", "events", "public_id"): "event",
    ("registration", "batch", "token"): "batch_token",
    ("scoring", "events", "public_id"): "event",
    ("scoring", "candidates", "registration_id"): "enrolled",
    ("scoring", "tasks", "task_id"): "task",
    ("scoring", "flags", "flag_id"): "flag",
    ("scoring", "sign", "stage"): "stage",
    ("scoring", "stations", "number"): "station",
    ("scoring", "videos", "public_id"): "video",
    ("scoring", "submit", "registration_id"): "enrolled",
}
ENDPOINT_OBJECTS = {
    # The review page's actions: the answer reaches the deepest (a form, then finality).
    "certificates.objections.act": {"public_id": "objection", "action": "objection_action"},
    # A draft exam: sections, roster and settings change only before publication.
    "exam.admin_add_section": {"public_id": "draft_exam"},
    "exam.admin_delete_section": {"public_id": "draft_exam", "section_id": "draft_section"},
    "exam.admin_roster": {"public_id": "draft_exam"},
    "exam.admin_publish": {"public_id": "draft_exam"},
    "exam.admin_settings": {"public_id": "draft_exam"},
    "registration.return_form": {"public_id": "submitted"},
    "scoring.add_violation": {"task_id": "task6", "number": "station6"},
    "scoring.lock": {"task_id": "complete_task"},
    "scoring.unlock": {"task_id": "locked_task"},
    "scoring.sign": {"task_id": "locked_task"},
}
# Routes that end the state other routes need (an open attempt, an unlocked task, a draft form):
# sent to last, in this order.
LAST = ("registration.act", "scoring.lock", "exam.admin_publish", "exam.admin_release",
        "exam.admin_force_submit", "exam.hall_force_submit", "exam.submit")

# A valid body for each JSON endpoint; every place in it is then replaced by each hostile value.
JSON_BODIES = {
    "exam.save": lambda w: {"saves": [{"item": w["item"], "response": "A", "seq": 7, "flagged": False}]},
    "exam.events": lambda w: {"events": ["hidden", "visible"]},
    "exam.challenge": lambda w: {"item": w["item"], "note": "这道题的答案有误"},
}

TEN_MB = "x" * (10 * 1024 * 1024)

# (kind, value) for a form field: every field of every form gets each of these, and each date field
# (a WTForms date field, or an <input type="date"> or "datetime-local") DATE_VALUES as well.
FORM_VALUES = [
    ("int 2**63", str(2**63)),
    ("int 10**400", "1" + "0" * 400),
    ("NaN", "NaN"),
    ("sNaN", "sNaN"),
    ("-Infinity", "-Infinity"),
    ("text for a number (a digit int() refuses)", "²"),
    ("NUL and control characters", "a\x00\x01\x1b\x7fb"),
    ("40k characters", "长" * 40_000),  # beyond every Length and column, within the form size limit
    ("two values", ["1", "2"]),
]
DATE_VALUES = [
    ("year 1", "0001-01-01"),
    ("year 1, date and time", "0001-01-01T00:00"),
]

# (kind, JSON text) for a place in a JSON body: literals that json.dumps would not write.
JSON_VALUES = [
    ("int 2**63", str(2**63)),
    ("int 2**64", str(2**64)),
    ("int -2**63-1", str(-(2**63) - 1)),
    ("int 10**400", "1" + "0" * 400),
    ("1e400", "1e400"),
    ("NaN", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ('"sNaN"', '"sNaN"'),
    ("-0", "-0"),
    ("string for an int", '"12"'),
    ("text", '"abc"'),
    ("float", "1.5"),
    ("true", "true"),
    ("null", "null"),
    ("empty list", "[]"),
    ("empty object", "{}"),
    ("list 10k deep", "[" * 10_000 + "]" * 10_000),
    ("object 10k deep", '{"a":' * 10_000 + "1" + "}" * 10_000),
    ("NUL", '"a\\u0000b"'),
    ("control characters", '"\\u0001\\u0008\\u000b\\u001b\\u007f"'),
    ("lone surrogate", '"\\ud800"'),
    ("100 KB string", json.dumps("长" * 100_000)),
]
# (kind, raw body, content type) sent once to each JSON endpoint.
JSON_BODIES_RAW = [
    ("empty body", b"", "application/json"),
    ("invalid UTF-8", b'{"saves": "\xff\xfe\xc3\x28", "note": "\xed\xa0\x80"}', "application/json"),
    ("truncated JSON", b'{"saves": [{"item": ', "application/json"),
    ("10 MB string", json.dumps({"note": TEN_MB}).encode(), "application/json"),
]


# --- the world ----------------------------------------------------------------------------------


@pytest.fixture
def world(app, db, panel, final_results, make_exam, create_question, create_user, frozen_clock):
    """One of everything, each signed-in role in a browser of its own: a scoring panel with
    assigned stations, marks, an open flag, a complete task and a locked one, a teaching video; a
    published exam with the candidate's attempt open in their browser and a draft exam; forms in
    draft, submitted and enrolled; results, a certificate and an objection; a question, and a
    pending question import and batch registration."""
    scheme, people = panel["scheme"], panel["people"]
    task1, task2, task4, task5, task6 = (scheme.tasks[i] for i in (0, 1, 3, 4, 5))
    admin, r1, r2, chief = panel["admin"], panel["r1"], panel["r2"], panel["chief"]
    staff = create_user("centre_staff", centre=panel["centre_a"])
    candidate = create_user("candidate")
    victim = create_user("candidate")

    def marks(task, person, referee, values, submit=True):
        ids = {a.code: a.id for a in task.aspects}
        scoring.save_marks(db.session, task=task, registration=person, referee=referee, submit=submit,
                           entries={ids[code]: (value, None) for code, value in values.items()},
                           now=clock.now())

    for task, referee, person in ((task1, r1, people[0]), (task1, r1, people[1]), (task2, r1, people[1]),
                                  (task2, r2, people[1]), (task4, r2, people[2]), (task5, r1, people[0]),
                                  (task6, r1, people[0])):
        scoring.assign(db.session, task=task, referee=referee, stations=[station(db, task, person)], actor=admin)
    marks(task2, people[1], r1, {"2.1": "5", "2.2": "4", "2.3": "3"})
    marks(task2, people[1], r2, {"2.1": "5", "2.2": "4", "2.3": "0"})
    marks(task4, people[2], r2, {"4.1": "5", "4.2": "3", "4.3": "2"})
    scoring.lock_task(db.session, task=task4, chief=chief, now=clock.now())
    marks(task5, people[0], r1, {"5.1": "5", "5.2": "3", "5.3": "2"})
    flag = db.session.scalar(select(Flag))
    assert flag is not None, "the divergent judgement marks raise no flag"

    name = f"{people[0].public_id}.mp4"
    (uploads.folder(video.FOLDER) / name).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    item = TeachingVideo(registration_id=people[0].id, file=name, submitted_at=clock.now())
    db.session.add(item)
    video.assign_expert(db.session, event=people[0].event, user=r1, actor=admin)

    own = registration.save_registration(
        db.session, registration=None, event=people[0].event, centre=staff.centre,
        data=form_data(full_name="草稿", id_number=make_id(seq="61")), photo=photo_bytes(), user=staff,
        now=clock.now())
    submitted = registration.save_registration(
        db.session, registration=None, event=people[0].event, centre=staff.centre,
        data=form_data(full_name="待审", id_number=make_id(seq="62")), photo=photo_bytes(), user=staff,
        now=clock.now())
    registration.act(db.session, registration=submitted, action="submit", user=staff, now=clock.now())

    db.session.add(Publication(event_id=people[0].event_id, published_at=clock.now(),
                               ends_at=clock.now() + timedelta(days=7)))
    final_results[1].status = ResultStatus.PUBLISHED
    with app.test_request_context():
        cert = certificates.issue(db.session, result=final_results[0], actor=admin, now=clock.now())
        verify_token = certificates.token(cert)
        # The candidate's own certificate, for the holder's share-link pages.
        final_results[2].registration.applicant_id = candidate.id
        own_cert = certificates.issue(db.session, result=final_results[2], actor=admin, now=clock.now())
        link = sharing.create(db.session, certificate=own_cert, days=90, label="HR", actor=candidate,
                              now=clock.now())
        api_key, _secret = employers.issue_key(db.session, label="示范企业", owner=None, rate_limit=60,
                                               rate_period=RatePeriod.MINUTE, actor=admin, now=clock.now())
    question = create_question()
    db.session.commit()

    paper_exam = make_exam([candidate])
    draft_exam = make_exam([], publish=False)
    hall = halls.add_hall(db.session, exam=paper_exam, name="第一考场", room="A101", seats=30, actor=admin)
    halls.seat(db.session, hall=hall, usernames=[candidate.username], actor=admin)
    db.session.commit()

    clients = {}
    for role, user in (("admin", admin), ("referee", r1), ("chief_referee", chief), ("centre_staff", staff),
                       ("candidate", candidate)):
        clients[role] = app.test_client()
        sign_in(clients[role], user)
    clients[ANONYMOUS] = app.test_client()

    browser = clients["candidate"]
    assert browser.submit(f"/exam/{paper_exam.public_id}/start").status_code == 302
    attempt = db.session.scalar(select(Attempt).filter_by(user_id=candidate.id))
    first = attempt.paper.items[0].id
    assert browser.post(f"/exam/attempts/{attempt.public_id}/challenges", json={"item": first, "note": "有误"},
                        headers={"X-CSRFToken": browser.csrf_token()}).status_code == 200
    objected = clients["admin"].submit(
        f"/certificates/admin/results/{final_results[1].registration.public_id}/objection", {"reason": "成绩有误"})
    assert objected.status_code == 302
    # The candidate's own published result, open to their objections and reviews.
    final_results[1].registration.applicant_id = candidate.id
    db.session.commit()

    template = clients["admin"].get("/question-bank/template.xlsx").data
    imported = clients["admin"].submit("/question-bank/import", {"file": (io.BytesIO(template), "bank.xlsx")},
                                       content_type="multipart/form-data")
    assert imported.status_code == 302, imported.get_data(as_text=True)[:500]
    event_id = people[0].event.public_id
    sheet = clients["centre_staff"].get(f"/registration/events/{event_id}/batch/template.xlsx").data
    batch = clients["centre_staff"].submit(f"/registration/events/{event_id}/batch",
                                           {"sheet": (io.BytesIO(sheet), "batch.xlsx")},
                                           content_type="multipart/form-data")
    assert batch.status_code == 302, batch.get_data(as_text=True)[:500]

    objects = {
        "centre": panel["centre_b"].public_id, "victim": victim.public_id, "event": event_id,
        "certificate": cert.public_id, "verify_token": verify_token,
        "own_certificate": own_cert.public_id, "share_link": link.public_id, "share_token": link.token,
        "api_key": api_key.public_id, "api_path": "certificates/nothing",
        "objection": db.session.scalar(select(Objection.public_id)), "objection_action": "answer",
        "published_registration": final_results[1].registration.public_id,
        "exam": paper_exam.public_id, "attempt": attempt.public_id, "section": paper_exam.sections[0].id,
        "draft_exam": draft_exam.public_id, "draft_section": draft_exam.sections[-1].id, "item": first,
        "question": question.public_id, "version_number": 1,
        "import_token": imported.headers["Location"].rstrip("/").rsplit("/", 1)[1],
        "batch_token": batch.headers["Location"].rstrip("/").rsplit("/", 1)[1],
        "draft": own.public_id, "submitted": submitted.public_id, "enrolled": people[0].public_id,
        "action": "submit",
        "task": task1.id, "station": station(db, task1, people[0]),
        "task6": task6.id, "station6": station(db, task6, people[0]),
        "complete_task": task5.id, "locked_task": task4.id, "stage": "supervisor",
        "flag": flag.id, "video": item.public_id, "hall": hall.public_id,
        "candidate_username": candidate.username, "event_code": people[0].event.code,
        "note": db.session.scalar(select(Notification.id).order_by(Notification.id)),
        "workday": workcalendar.add_override(db.session, day=date(2027, 1, 1), working=False, note="元旦",
                                             actor=None, now=clock.now()).id,
    }
    return {"clients": clients, "objects": objects}


# --- the plan: what is sent where ---------------------------------------------------------------


class _Forms(HTMLParser):
    """The POST forms of a page: action, enctype, and the fields a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form = self._select = self._textarea = None
        self._selected: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(),
                          "multipart": "multipart" in a.get("enctype", ""), "values": {}, "names": set(),
                          "dates": set()}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        values, name = self._form["values"], a.get("name")
        if tag in ("input", "button", "select", "textarea") and name:
            self._form["names"].add(name)
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("date", "datetime-local"):
                self._form["dates"].add(name)
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    values.setdefault(name, a.get("value") or "on")
            elif kind != "file":
                values.setdefault(name, a.get("value", ""))
        elif tag == "button" and name and a.get("type", "submit") == "submit":
            values.setdefault(name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a and self._select not in self._selected:
                values[self._select] = a.get("value", "")
                self._selected.add(self._select)
            else:
                values.setdefault(self._select, a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            values[name] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["values"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass
class Target:
    rule: str
    endpoint: str
    url: str
    role: str
    json: bool
    baseline: dict = field(default_factory=dict)
    fields: set = field(default_factory=set)
    dates: set = field(default_factory=set)
    multipart: bool = False


def write_rules(app) -> list:
    return sorted((r for r in app.url_map.iter_rules() if r.methods & WRITE_METHODS), key=lambda r: r.rule)


def _role(app, endpoint: str) -> str | None:
    if policy_of(app, endpoint) == PUBLIC:
        return ANONYMOUS
    admitted = roles_admitted(app, endpoint, ROLES)
    if ROLE_FOR.get(endpoint) in admitted:
        return ROLE_FOR[endpoint]
    return next((r for r in ROLE_ORDER if r in admitted), None)


PARAMETER = re.compile(r"([^/<>]*)/<(?:[^<>:]+:)?([^<>]+)>")  # (the segment before it, its name)


def _url(rule, objects: dict) -> str | None:
    """The rule's URL with each parameter a real object, or None when one is not known."""
    blueprint = rule.endpoint.split(".")[0]
    values = dict(rule.defaults or {})
    overrides = ENDPOINT_OBJECTS.get(rule.endpoint, {})
    for before, name in PARAMETER.findall(rule.rule):
        key = overrides.get(name) or URL_OBJECTS.get((blueprint, before, name))
        if key is None or key not in objects:
            return None
        values[name] = objects[key]
    try:
        return rule.build(values, append_unknown=False)[1]
    except (KeyError, ValueError):
        return None


def _form_classes(view) -> list[type]:
    """The WTForms classes that the view's own code names."""
    view = getattr(view, "__wrapped__", view)
    found = []
    for name in sorted(set(view.__code__.co_names)):
        value = view.__globals__.get(name)
        if isinstance(value, type) and issubclass(value, FlaskForm) and value is not FlaskForm:
            found.append(value)
    return found


def _unbound(form_class: type) -> dict[str, UnboundField]:
    """A form class's fields by the name they have in the page."""
    fields = {n: getattr(form_class, n, None) for n in dir(form_class)}
    return {f.kwargs.get("name", n): f for n, f in fields.items() if isinstance(f, UnboundField)}


def form_fields(form_class: type) -> set[str]:
    return set(_unbound(form_class))


def _crawl(app, clients: dict, objects: dict) -> dict[str, list[dict]]:
    """Every POST form on every page the roles can open, by the rule its action points to."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, list[dict]] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.endswith((".pdf", ".xlsx", ".json")):
            continue
        url = _url(rule, objects)
        if url is None:
            continue
        roles = ({ANONYMOUS} if policy_of(app, rule.endpoint) == PUBLIC
                 else roles_admitted(app, rule.endpoint, ROLES) & set(clients))
        for role in sorted(roles):
            response = clients[role].get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                response.close()
                continue
            parser = _Forms()
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                if form["method"] != "post":
                    continue
                path = urlsplit(urljoin(url, form["action"] or url)).path
                try:
                    target, _args = adapter.match(path, method="POST", return_rule=True)
                except HTTPException:
                    continue
                found.setdefault(target.rule, []).append({**form, "path": path, "role": role})
    return found


def plan(app, world) -> tuple[list[Target], list[str]]:
    """What the fuzz pass sends to: a target per write route, and the routes it cannot reach."""
    clients, objects = world["clients"], world["objects"]
    forms = _crawl(app, clients, objects)
    targets, missing = [], []
    for rule in write_rules(app):
        if rule.endpoint in EXCLUDED:
            continue
        url, role = _url(rule, objects), _role(app, rule.endpoint)
        if url is None or role is None:
            missing.append(f"{rule.rule} ({rule.endpoint}): no object for a URL parameter or no role")
            continue
        view = app.view_functions[rule.endpoint]
        is_json = bool({"get_json", "json", "json_object"} & set(view.__code__.co_names))
        target = Target(rule.rule, rule.endpoint, url, role, is_json)
        if is_json:
            if rule.endpoint not in JSON_BODIES:
                missing.append(f"{rule.rule} ({rule.endpoint}): a JSON endpoint without a body in JSON_BODIES")
                continue
            target.baseline = JSON_BODIES[rule.endpoint](objects)
        else:
            mine = [f for f in forms.get(rule.rule, []) if f["path"] == url and f["role"] == role]
            others = forms.get(rule.rule, [])
            for form in others:
                target.fields |= form["names"]
                target.dates |= form["dates"]
            if mine or others:
                chosen = (mine or others)[0]
                target.baseline = dict(chosen["values"])
                target.multipart = chosen["multipart"]
            for form_class in _form_classes(view):
                target.fields |= form_fields(form_class)
                target.dates |= {n for n, f in _unbound(form_class).items() if issubclass(f.field_class, DateTimeField)}
            target.fields.discard("csrf_token")
            target.baseline.pop("csrf_token", None)
        targets.append(target)
    order = {endpoint: i for i, endpoint in enumerate(LAST, start=1)}
    targets.sort(key=lambda t: (order.get(t.endpoint, 0), t.rule))
    return targets, missing


# --- sending ------------------------------------------------------------------------------------


def _where(exc: BaseException) -> str:
    """The innermost frame of the project's own code in the traceback, and the error."""
    frames = traceback.extract_tb(exc.__traceback__)
    root = str(Path(__file__).resolve().parents[2])
    own = [f for f in frames if f.filename.startswith(root) and "/.venv/" not in f.filename
           and "/tests/" not in f.filename]
    def place(frame):
        name = frame.filename[len(root) + 1:] if frame.filename.startswith(root) else frame.filename
        return f"{name.split('site-packages/')[-1]}:{frame.lineno}"

    where = place((own or frames)[-1])
    if own and own[-1] is not frames[-1]:
        where += f" (raised in {place(frames[-1])})"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]} at {where}"


class Run:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.sent: dict[str, int] = {}
        self.admitted: set[str] = set()  # the routes that let at least one request past the door

    def send(self, client, target: Target, where: str, kind: str, **kwargs) -> None:
        self.sent[target.rule] = self.sent.get(target.rule, 0) + 1
        try:
            response = client.post(target.url, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a 500 in a test client raises; it is what we look for
            self.failures.append(f"{target.endpoint} {target.url} [{where}] {kind}: {_where(exc)}")
            return
        status = response.status_code
        if status not in (401, 403) and "/login" not in response.headers.get("Location", ""):
            self.admitted.add(target.rule)
        response.close()
        if status >= 500:
            self.failures.append(f"{target.endpoint} {target.url} [{where}] {kind}: status {status}")


def _text_field(target: Target, app) -> str:
    """The field that gets the 10 MB string: a text field of the view's form if it has one."""
    view = app.view_functions[target.endpoint]
    for form_class in _form_classes(view):
        for name, unbound in sorted(_unbound(form_class).items()):
            if issubclass(unbound.field_class, StringField) and name in target.fields:
                return name
    return min(target.fields) if target.fields else "text"


def fuzz_form(run: Run, app, client, token: str, target: Target) -> None:
    def post(where, kind, data):
        body = {**data, "csrf_token": token}
        if target.multipart:  # encoded here, in memory: the test client would spill to an unclosed file
            boundary, encoded = encode_multipart(body)
            run.send(client, target, where, kind, data=encoded,
                     content_type=f"multipart/form-data; boundary={boundary}")
        else:
            run.send(client, target, where, kind, data=body)

    for name in sorted(target.fields):
        for kind, value in FORM_VALUES + (DATE_VALUES if name in target.dates else []):
            post(name, kind, {**target.baseline, name: value})
    post("*", "no fields", {})
    post(_text_field(target, app), "10 MB string", {**target.baseline, _text_field(target, app): TEN_MB})
    fields = "&".join(f"{n}=%FF%FE%C3%28" for n in sorted(target.fields) or ["text"])
    run.send(client, target, "*", "invalid UTF-8", data=f"csrf_token={token}&{fields}".encode("latin-1"),
             content_type="application/x-www-form-urlencoded")
    run.send(client, target, "*", "a JSON body", data=json.dumps(target.baseline),
             content_type="application/json", headers={"X-CSRFToken": token})


def _places(value, path=()):
    """Every place in a JSON value (the root too), as a path of keys and indexes."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _places(item, (*path, i))


MARK = "__HOSTILE_VALUE__"


def _with(value, path, replacement):
    if not path:
        return replacement
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _with(value[head], rest, replacement)
    return copy


def fuzz_json(run: Run, client, token: str, target: Target) -> None:
    headers = {"X-CSRFToken": token}
    for path in _places(target.baseline):
        where = ".".join(map(str, path)) or "body"
        text = json.dumps(_with(target.baseline, path, MARK), ensure_ascii=False)
        for kind, literal in JSON_VALUES:
            body = text.replace(json.dumps(MARK), literal)
            run.send(client, target, where, kind, data=body.encode(), content_type="application/json",
                     headers=headers)
    for kind, body, content_type in JSON_BODIES_RAW:
        run.send(client, target, "body", kind, data=body, content_type=content_type, headers=headers)
    valid = json.dumps(target.baseline)
    run.send(client, target, "body", "wrong content type (text/plain)", data=valid, content_type="text/plain",
             headers=headers)
    run.send(client, target, "body", "wrong content type (a form)", data={"csrf_token": token, "saves": valid},
             headers=headers)


def _report(failures: list[str]) -> str:
    shown = failures[:300]
    more = f"\n… and {len(failures) - len(shown)} more" if len(failures) > len(shown) else ""
    return f"{len(failures)} request(s) answered with a server error:\n" + "\n".join(shown) + more


# --- the tests ----------------------------------------------------------------------------------


def test_hostile_values_never_cause_a_server_error(app, world):
    """Every write route, every field or place, every hostile value: no 500, on SQLite and (with
    TEST_DATABASE_URL) on PostgreSQL. Each route must also have let requests past its access check,
    and every browser must still be signed in at the end, or the pass proved nothing."""
    targets, missing = plan(app, world)
    assert not missing, missing
    run = Run()
    tokens = {role: client.csrf_token() for role, client in world["clients"].items()}
    for target in targets:
        client = world["clients"][target.role]
        if target.json:
            fuzz_json(run, client, tokens[target.role], target)
        else:
            fuzz_form(run, app, client, tokens[target.role], target)
    assert set(run.sent) == {t.rule for t in targets}
    assert not run.failures, _report(run.failures)
    assert {t.rule for t in targets} - run.admitted == set(), "routes that refused every request"
    for role, client in world["clients"].items():
        if role != ANONYMOUS:
            assert client.get("/").status_code == 200, f"the {role} was signed out during the pass"


def test_fuzz_covers_every_write_route(app, world):
    """The fuzz pass does not skip a route silently: it plans a target for every route in url_map
    that accepts a write method, except the commented exclusions."""
    targets, missing = plan(app, world)
    assert missing == []
    written = {r.rule for r in write_rules(app) if r.endpoint not in EXCLUDED}
    assert {t.rule for t in targets} == written
    endpoints = {r.endpoint for r in write_rules(app)}
    for name, table in (("EXCLUDED", EXCLUDED), ("ROLE_FOR", ROLE_FOR), ("ENDPOINT_OBJECTS", ENDPOINT_OBJECTS),
                        ("LAST", LAST), ("JSON_BODIES", JSON_BODIES)):
        assert set(table) <= endpoints, f"{name} names a route that is gone: {set(table) - endpoints}"
    json_targets = {t.endpoint for t in targets if t.json}
    assert json_targets == set(JSON_BODIES), json_targets
