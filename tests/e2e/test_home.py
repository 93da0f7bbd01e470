"""The demo home page on a phone: Chinese first, switch to English and back, no console errors."""

from __future__ import annotations

from tests.e2e.conftest import LiveServer


def test_home_page_on_a_phone_switches_language(live_server: LiveServer, phone) -> None:  # noqa: ANN001
    phone.goto(live_server.url + "/")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert phone.get_by_role("heading", level=1).inner_text() == "业主大会表决"
    assert phone.viewport_size["width"] <= 412
    # The page fits the phone: no horizontal scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.get_by_role("link", name="示范花园小区").first.wait_for()

    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("heading", level=1).inner_text() == "Owners' assembly voting"

    phone.get_by_role("button", name="中文").click()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert phone.console_errors == []


def test_tap_targets_are_large_enough(live_server: LiveServer, phone) -> None:  # noqa: ANN001
    phone.goto(live_server.url + "/login")
    for selector in ["button[type=submit]", "input[name=login]", "input[name=password]", "input[name=code]"]:
        box = phone.locator(selector).first.bounding_box()
        assert box is not None and box["height"] >= 44, selector
    assert phone.console_errors == []
