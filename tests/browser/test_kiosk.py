"""The waiting-room kiosk in real headless Chromium against the running bot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import settings

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def is_message(request: Any) -> bool:
    return request.method == "POST" and request.url.endswith("/webhooks/web/webhook")


def is_end(request: Any) -> bool:
    return request.method == "POST" and request.url.endswith("/webhooks/web/end")


def open_kiosk(page: Any, base: str, query: str = "") -> dict[str, Any]:
    """Load the kiosk and return its opening turn (the reply to /greet) and sender id."""
    with page.expect_response(lambda r: is_message(r.request)) as greeting:
        response = page.goto(base + "kiosk" + query)
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    request = json.loads(greeting.value.request.post_data)
    assert request["message"] == "/greet"
    page.get_by_role("log", name="Conversation").locator(".pa-bot").first.wait_for()
    return {"messages": greeting.value.json(), "sender": request["sender"]}


def ask(page: Any, text: str) -> list[dict[str, Any]]:
    box = page.get_by_role("textbox", name="Your question")
    box.fill(text)
    with page.expect_response(lambda r: is_message(r.request)) as reply:
        page.get_by_role("button", name="Send").click()
    return reply.value.json()


def storage_is_empty(page: Any) -> bool:
    return page.evaluate("() => localStorage.length === 0 && sessionStorage.length === 0")


def test_opening_screen_staff_button_and_touch_targets(watch, web_bot):
    page = watch.page
    opening = open_kiosk(page, web_bot.base)
    custom = next(m["custom"] for m in opening["messages"] if isinstance(m.get("custom"), dict))
    for suggestion in custom.get("suggestions") or []:
        assert page.get_by_role("button", name=suggestion["title"]).is_visible()
    if custom.get("disclaimer"):
        assert page.get_by_text(custom["disclaimer"]).is_visible()
    for name in ("Start over", "Ask a member of staff", "Send"):
        assert page.get_by_role("button", name=name).is_visible()
    small = page.evaluate(
        "() => [...document.querySelectorAll('button, input')]"
        ".filter(b => b.offsetParent !== null)"
        ".map(b => [b.textContent.trim() || b.id, b.getBoundingClientRect()])"
        ".filter(([, r]) => r.width < 44 || r.height < 44).map(([n]) => n)")
    assert small == [], f"touch targets under 44 px: {small}"
    watch.screenshot("kiosk-opening")

    page.get_by_role("button", name="Ask a member of staff").click()
    dialog = page.get_by_role("dialog", name="Ask a member of staff")
    staff_message = settings.section("clinic")["kiosk_staff_message"]
    assert dialog.get_by_text(staff_message).is_visible()
    watch.screenshot("kiosk-staff")
    dialog.get_by_role("button", name="Close").click()
    assert dialog.is_hidden()
    assert storage_is_empty(page)
    assert not watch.errors and not watch.dialogs


def test_idle_warning_continue_then_full_wipe(watch, web_bot):
    page = watch.page
    opening = open_kiosk(page, web_bot.base, "?idle=3&warn=2")
    first_sender = opening["sender"]
    question = "How does pain work?"
    ask(page, question)
    page.locator(".pa-bot").nth(1).wait_for()

    warning = page.get_by_role("alertdialog", name="Still there?")
    warning.wait_for(timeout=10_000)
    assert warning.locator("#k-countdown").inner_text() in ("1", "2")
    watch.screenshot("kiosk-idle-warning")
    warning.get_by_role("button", name="Continue").click()
    assert warning.is_hidden()
    assert page.locator(".pa-user").count() == 1  # continuing keeps the conversation

    with page.expect_response(lambda r: is_end(r.request), timeout=20_000) as ended, \
            page.expect_request(is_message, timeout=20_000) as regreet:
        warning.wait_for(timeout=10_000)  # idle again: warned, then wiped
    assert json.loads(ended.value.request.post_data)["sender"] == first_sender
    assert ended.value.json() == {"ended": True, "existed": True}
    new = json.loads(regreet.value.post_data)
    assert new["message"] == "/greet" and new["sender"] != first_sender
    assert len(new["sender"]) >= 32
    page.locator(".pa-user").first.wait_for(state="detached")
    page.locator(".pa-bot").first.wait_for()
    assert warning.is_hidden()
    assert page.get_by_role("textbox", name="Your question").input_value() == ""
    assert question not in page.locator("body").inner_text()
    assert storage_is_empty(page)
    watch.screenshot("kiosk-after-wipe")
    # the server kept nothing of the first conversation
    assert web_bot.post("end", {"sender": first_sender}) == {"ended": True, "existed": False}
    assert not watch.errors and not watch.dialogs


def test_wipe_aborts_a_pending_request(watch, web_bot):
    page = watch.page
    open_kiosk(page, web_bot.base)
    page.get_by_role("textbox", name="Your question").fill("How does pain work?")
    with page.expect_request(is_message):
        page.get_by_role("button", name="Send").click()
    with page.expect_request(is_end):
        page.get_by_role("button", name="Start over").click()
    page.locator(".pa-user").wait_for(state="detached")
    page.wait_for_timeout(3000)  # the aborted answer must not appear later
    assert page.locator(".pa-kind-answer, .pa-kind-no_answer").count() == 0
    assert page.locator(".pa-user").count() == 0
    assert not watch.errors and not watch.dialogs


def test_safety_card_shows_the_staff_message(watch, web_bot, safety_phrases):
    page = watch.page
    open_kiosk(page, web_bot.base)
    reply = ask(page, safety_phrases["crisis"][0])
    kinds = [m["custom"]["kind"] for m in reply if isinstance(m.get("custom"), dict)]
    assert kinds == ["crisis"]
    card = page.locator(".pa-kind-crisis .pa-safety")
    card.wait_for()
    staff_message = settings.section("clinic")["kiosk_staff_message"]
    assert staff_message in card.inner_text()
    watch.screenshot("kiosk-crisis")
    assert storage_is_empty(page)
    assert not watch.errors and not watch.dialogs


def test_red_flag_card_names_the_urgency_and_the_staff_message(watch, web_bot):
    page = watch.page
    open_kiosk(page, web_bot.base)
    reply = ask(page, "my face has dropped on one side and my arm feels weak and heavy")
    customs = [m["custom"] for m in reply if isinstance(m.get("custom"), dict)]
    assert [(c["kind"], c["tier"]) for c in customs] == [("red_flag", "emergency")]
    card = page.locator(".pa-kind-red_flag .pa-safety")
    card.wait_for()
    assert "now" in card.inner_text()
    assert settings.section("clinic")["kiosk_staff_message"] in card.inner_text()
    watch.screenshot("kiosk-red-flag")
    assert storage_is_empty(page)
    assert not watch.errors and not watch.dialogs
