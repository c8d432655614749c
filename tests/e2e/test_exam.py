"""A candidate takes the demo exam in Chromium: answers, loses the network, answers more, gets it
back, reloads, finds every answer, and submits."""

import pytest

from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.e2e


def answer_first_choice(page, section):
    section.locator("input[type=radio], input[type=checkbox]:not([data-flag])").first.check()


def test_exam_survives_losing_the_network_and_a_reload(page, screenshot):
    sign_in(page, "cand02")
    page.goto("/exam/")
    page.get_by_role("button", name="开始考试").click()
    page.wait_for_url("**/exam/attempts/*")
    status = page.get_by_test_id("save-status")
    clock = page.get_by_test_id("clock")
    assert clock.inner_text().startswith(("59:", "60:"))
    singles = page.locator('.exam-q[data-type="single"]')
    answer_first_choice(page, singles.nth(0))
    answer_first_choice(page, singles.nth(1))
    page.wait_for_selector("#save-status.saved")
    assert "服务器" in status.inner_text()
    screenshot("exam-saved", full_page=False)

    page.context.set_offline(True)
    answer_first_choice(page, singles.nth(2))
    page.locator('.exam-q[data-type="fill_blank"]').first.locator("input[data-blank]").first.fill("1883")
    page.wait_for_selector("#save-status.offline")
    screenshot("exam-offline", full_page=False)
    pending = page.evaluate("Object.keys(JSON.parse(localStorage.getItem(Object.keys(localStorage)"
                            ".find(k => k.startsWith('iiom-exam-')))))")
    assert len(pending) == 2

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#save-status.saved", timeout=20000)
    page.reload()
    assert page.locator("#answered-count").inner_text() == "4"
    assert page.locator('.exam-q[data-type="fill_blank"]').first.locator("input[data-blank]").first.input_value() \
        == "1883"
    for n in range(3):
        assert singles.nth(n).locator("input:checked").count() == 1

    # Handing in while a save is still on its way: the hand-in waits for it, then sends what is
    # left, and only then submits (it used to give up and say "offline").
    held = []

    def hold_the_first(route):  # the first save waits until released; later ones go through
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/answers", hold_the_first)
    answer_first_choice(page, singles.nth(3))
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the save did not start"
    answer_first_choice(page, singles.nth(4))  # pending behind the held save
    page.get_by_role("button", name="交卷").click()
    assert page.locator("#unanswered-list").is_visible()
    screenshot("exam-submit-dialog", full_page=False)
    page.get_by_role("button", name="确认交卷").click()
    page.wait_for_timeout(500)
    held[0].continue_()
    page.wait_for_url("**/receipt")
    assert page.get_by_test_id("answered").inner_text().startswith("6 /")
    screenshot("exam-receipt")
