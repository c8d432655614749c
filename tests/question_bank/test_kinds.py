"""The contract every question type keeps (question_bank/qtypes): parametrized over the registry,
so a new type is covered with no new test code."""

import json
import re
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import pytest

from question_bank import qtypes, rules, transfer
from question_bank.messages import problem_message

KINDS = qtypes.kinds()


@pytest.fixture(params=KINDS, ids=[k.code for k in KINDS])
def kind(request):
    return request.param


def version_of(example):
    return SimpleNamespace(kind=qtypes.get(example["type"]), answer=example["answer"], options=example["options"],
                           stem=example["stem"], stem_en=example.get("stem_en"), explanation=example["explanation"],
                           explanation_en=example.get("explanation_en"), image=None)


def test_the_example_is_well_formed_and_its_example_response_is_correct(kind):
    example = kind.example
    assert example["type"] == kind.code and rules.validate(example) == []
    response = kind.example_response(example["answer"])
    keys = [o["key"] for o in example["options"]]
    assert kind.response_problem(response, option_keys=keys, key=example["answer"]) is None
    assert kind.check(kind.normalise_response(response), example["answer"]).correct
    assert kind.response_problem(None, option_keys=keys, key=example["answer"]) is None  # clearing is fine


def test_every_message_of_the_kind_is_written_and_translated(kind, app):
    from flask_babel import force_locale

    with app.test_request_context():
        for code, msgid in kind.messages.items():
            problem = rules.Problem("answer", code, {"blanks": 1, "answers": 2} if "%(" in msgid else {})
            with force_locale("en"):
                english = problem_message(problem)
            with force_locale("zh_Hans_CN"):
                chinese = problem_message(problem)
            assert english == (msgid % problem.params if problem.params else msgid) and chinese != english, code


def test_the_excel_cell_reads_back_as_the_key(kind):
    answer = kind.example["answer"]
    assert transfer.parse_key(kind.code, kind.excel_cell(answer)) == answer
    assert transfer.TYPE_WORDS[kind.label_zh] == kind.code and transfer.TYPE_WORDS[kind.code] == kind.code


def test_the_editor_reads_back_what_it_shows(kind):
    example = kind.example
    options, answer = kind.answer_from_form(kind.form_data(example["options"], example["answer"]))
    assert answer == example["answer"]
    assert [o["key"] for o in options] == [o["key"] for o in example["options"]]


def _submit(html: str, kind, response) -> list[str]:
    """What a browser posts for `response` from the inputs the partial rendered (name="answer")."""
    inputs = re.findall(r"<input[^>]*>", html)
    values = []
    for tag in inputs:
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="text"' in tag:
            index = re.search(r'data-blank="(\d+)"', tag)
            values.append(response[int(index.group(1))] if index else response)
        elif value and (json.dumps(response) == value.group(1) if kind.json_values
                        else value.group(1) in (response if isinstance(response, list) else [response])):
            values.append(value.group(1))
    return values


def test_the_answer_partial_posts_what_from_form_reads(kind, app):
    example = kind.example
    v = version_of(example)
    with app.test_request_context():
        ui = app.jinja_env.get_template(kind.template).module
        html = str(ui.answer(v, name="answer"))
    assert f'data-answer="{kind.collector}"' in html
    response = kind.example_response(example["answer"])
    assert kind.from_form(_submit(html, kind, response)) == kind.normalise_response(response)
    assert kind.from_form([]) is None


def test_the_answer_partial_never_shows_a_written_key(kind, app):
    if kind.has_options or kind.json_values:
        pytest.skip("the choices are the inputs")
    v = version_of(kind.example)
    with app.test_request_context():
        html = str(app.jinja_env.get_template(kind.template).module.answer(v, name="answer"))
    response = kind.example_response(kind.example["answer"])
    assert not any(written in html for written in (response if isinstance(response, list) else [response]))


def test_the_moodle_export_names_the_kind_moodle_type(kind, db):
    from question_bank import services

    question = services.create_question(db.session, data=dict(kind.example), actor=None)
    root = ET.fromstring(transfer.moodle_xml_bytes([question]))
    exported = [q for q in root.findall("question") if q.get("type") != "category"]
    assert [q.get("type") for q in exported] == [kind.moodle_type(kind.example["answer"])]
