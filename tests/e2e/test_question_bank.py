"""The question editor in a real browser: fields follow the type, the preview follows the typing."""

import pytest

from tests.e2e.test_login_roles import sign_in

pytestmark = pytest.mark.e2e


def test_admin_writes_a_question_with_live_preview(page, screenshot):
    sign_in(page, "admin")
    page.goto("/question-bank/new")
    preview = page.get_by_test_id("question-preview").or_(page.locator("#live-preview"))
    page.select_option("#type", "single")
    page.select_option("#module", "3")
    page.fill("#stem", "采集温度数据时，采样周期由 1 s 改为 100 ms，每天的数据点数变为原来的多少倍？")
    for key, text in zip("ABCD", ["5", "10", "60", "100"], strict=True):
        page.fill(f"#option_{key}", text)
    page.check("#correct_B")
    page.fill("#explanation", "1 s ÷ 100 ms = 10，采样频率提高到 10 倍，数据点数也变为 10 倍。")
    assert "采样周期由 1 s 改为 100 ms" in preview.inner_text()
    assert page.locator("#live-preview li.correct").inner_text().strip().endswith("10")
    assert page.locator("#tf_answer").is_hidden() and page.locator("#fill_answer").is_hidden()
    screenshot("question-new")
    page.select_option("#type", "fill_blank")
    assert page.locator("#fill_answer").is_visible() and page.locator("#option_A").is_hidden()
    page.select_option("#type", "single")
    page.locator("#question-form button[type=submit]").click()
    page.wait_for_url("**/question-bank/*")
    assert page.get_by_test_id("history").locator("li").count() == 1
    page.fill("#stem", "采集温度数据时，采样周期从 1 s 缩短为 100 ms，每天的数据点数变为原来的多少倍？")
    page.locator("#question-form button[type=submit]").click()
    assert page.get_by_test_id("history").locator("li").count() == 2
    page.get_by_test_id("history").get_by_role("link", name="v2").click()
    assert page.locator(".diff ins").first.is_visible()
    screenshot("question-diff")


def test_coverage_of_the_shipped_bank(page, screenshot):
    sign_in(page, "admin")
    page.goto("/question-bank/coverage")
    totals = page.locator("[data-total]").all_inner_texts()
    assert len(totals) == 15 and all(int(t) >= 20 for t in totals)
    screenshot("question-coverage")
    page.goto("/question-bank/?module=1&level=senior")
    screenshot("question-list")
