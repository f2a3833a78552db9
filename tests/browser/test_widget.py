"""The website chat widget in real headless Chromium against the running bot."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HOST_JS = "document.getElementById('pain-assistant-widget').shadowRoot"


def is_message(request: Any) -> bool:
    return request.method == "POST" and request.url.endswith("/webhooks/web/webhook")


def is_end(request: Any) -> bool:
    return request.method == "POST" and request.url.endswith("/webhooks/web/end")


def custom_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The turn's response-contract object (exactly one per turn)."""
    customs = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    assert len(customs) == 1, messages
    return customs[0]


def open_widget(page: Any, base: str) -> dict[str, Any]:
    """Load the demo page, open the widget and return the greeting turn's reply."""
    response = page.goto(base + "demo")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    with page.expect_response(lambda r: is_message(r.request)) as greeting:
        page.get_by_role("button", name="Ask about pain").click()
    assert json.loads(greeting.value.request.post_data)["message"] == "/greet"
    page.get_by_role("log", name="Conversation").locator(".pa-bot").first.wait_for()
    return {"messages": greeting.value.json(),
            "sender": json.loads(greeting.value.request.post_data)["sender"]}


def ask(page: Any, text: str) -> list[dict[str, Any]]:
    """Type a message into the widget, send it with Enter, return the bot's reply."""
    box = page.get_by_role("textbox", name="Your question")
    box.fill(text)
    with page.expect_response(lambda r: is_message(r.request)) as reply:
        box.press("Enter")
    return reply.value.json()


def answer_question(page: Any, greeting: list[dict[str, Any]]) -> tuple[str, list[dict]]:
    """Ask the greeting's suggested questions until one is answered from the library."""
    for suggestion in custom_of(greeting)["suggestions"]:
        reply = ask(page, suggestion["title"])
        if custom_of(reply)["kind"] == "answer":
            return suggestion["title"], reply
    raise AssertionError("none of the greeting's suggested questions was answered")


def test_question_shows_cited_excerpts_and_survives_navigation(watch, web_bot):
    page = watch.page
    opened = open_widget(page, web_bot.base)
    assert len(opened["sender"]) >= 32  # 128 random bits as hex
    greeting = custom_of(opened["messages"])
    for suggestion in greeting["suggestions"]:
        assert page.get_by_role("button", name=suggestion["title"]).is_visible()

    _, reply = answer_question(page, opened["messages"])
    custom = custom_of(reply)
    turn = page.locator(".pa-bot.pa-kind-answer").last
    turn.wait_for()
    quotes = turn.locator("blockquote")
    assert quotes.count() == len(custom["excerpts"]) >= 1
    for i, excerpt in enumerate(custom["excerpts"]):
        assert quotes.nth(i).inner_text().strip("\u201c\u201d \n") == excerpt["text"].strip()
        assert turn.get_by_role("button", name=f"Source {excerpt['n']}").is_visible()
    sources = turn.locator(".pa-sources li")
    assert sources.count() == len(custom["sources"]) >= 1
    for i, source in enumerate(custom["sources"]):
        assert source["title"] in sources.nth(i).inner_text()
        if source.get("label"):  # "acupuncture clinic blog, sells acupuncture"
            assert f"({source['label']})" in sources.nth(i).inner_text()
        links = sources.nth(i).locator("a")
        if (source.get("url") or "").startswith("https:"):
            assert links.get_attribute("rel") == "noopener noreferrer"
            assert links.get_attribute("target") == "_blank"
        else:
            assert links.count() == 0
    if custom.get("disclaimer"):
        assert turn.locator(".pa-disclaimer").inner_text() == custom["disclaimer"]
    # plain texts of a turn with a custom object are not shown twice
    paragraphs = [p for p in re.split(r"\n{2,}", custom["text"]) if p.strip()]
    assert turn.locator(".pa-text").count() == len(paragraphs)
    watch.screenshot("widget-answer")

    with page.expect_request(is_message) as feedback:
        turn.get_by_role("button", name="Helpful", exact=True).click()
    assert json.loads(feedback.value.post_data)["message"] == "/feedback_helpful"
    page.locator(".pa-bot").nth(2).wait_for()
    turns_before = page.locator(".pa-turn").count()

    page.get_by_role("link", name="Visiting us").click()
    page.wait_for_url("**/demo?page=visit")
    page.get_by_role("log", name="Conversation").locator(".pa-kind-answer").wait_for()
    assert page.locator(".pa-turn").count() == turns_before
    assert page.get_by_role("button", name="Ask about pain").get_attribute(
        "aria-expanded") == "true"

    with page.expect_response(lambda r: is_end(r.request)) as ended, \
            page.expect_request(is_message) as regreet:
        page.get_by_role("button", name="Start over").click()
    assert json.loads(ended.value.request.post_data)["sender"] == opened["sender"]
    assert ended.value.json() == {"ended": True, "existed": True}
    new_sender = json.loads(regreet.value.post_data)["sender"]
    assert new_sender != opened["sender"] and len(new_sender) >= 32
    page.locator(".pa-kind-answer").wait_for(state="detached")
    # the old conversation is gone on the server too
    assert web_bot.post("end", {"sender": opened["sender"]}) == {"ended": True, "existed": False}
    assert not watch.errors and not watch.dialogs


def test_crisis_message_shows_crisis_card(watch, web_bot, safety_phrases):
    page = watch.page
    open_widget(page, web_bot.base)
    reply = ask(page, safety_phrases["crisis"][0])
    custom = custom_of(reply)
    assert custom["kind"] == "crisis"
    card = page.locator(".pa-kind-crisis .pa-safety")
    card.wait_for()
    shown = " ".join(card.inner_text().split())
    assert " ".join(custom["text"].split()) in shown
    fits = page.evaluate(
        f"""() => {{ const c = {HOST_JS}.querySelector('.pa-kind-crisis .pa-safety');
                   const s = getComputedStyle(c);
                   return c.scrollHeight <= c.clientHeight + 1 && s.overflow === 'visible'
                          && s.display !== 'none'; }}""")
    assert fits, "the crisis card is clipped or hidden"
    watch.screenshot("widget-crisis")
    assert not watch.errors and not watch.dialogs


def test_check_in_buttons_lead_to_the_crisis_card(watch, web_bot):
    page = watch.page
    open_widget(page, web_bot.base)
    reply = ask(page, "I can't do this anymore")
    assert custom_of(reply)["kind"] == "check_in"
    turn = page.locator(".pa-kind-check_in")
    turn.wait_for()
    assert "not wanting to be alive" in turn.inner_text()
    with page.expect_response(lambda r: is_message(r.request)) as answered:
        turn.get_by_role("button", name="Yes", exact=True).click()
    assert json.loads(answered.value.request.post_data)["message"] == "Yes"
    assert custom_of(answered.value.json())["kind"] == "crisis"
    page.locator(".pa-kind-crisis .pa-safety").wait_for()
    watch.screenshot("widget-check-in-yes")
    assert not watch.errors and not watch.dialogs


def test_user_markup_is_shown_as_text_and_runs_nothing(watch, web_bot):
    page = watch.page
    open_widget(page, web_bot.base)
    payload = ('<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
               '<b>bold</b>')
    ask(page, payload)
    page.locator(".pa-user").last.wait_for()
    assert page.locator(".pa-user .pa-text").last.inner_text() == payload
    page.locator(".pa-bot").nth(1).wait_for()
    injected = page.evaluate(
        f"() => {HOST_JS}.querySelectorAll('.pa-log img, .pa-log script, .pa-log b').length")
    assert injected == 0
    assert page.evaluate("() => window.__pwned") is None
    watch.screenshot("widget-markup-as-text")
    assert not watch.errors and not watch.dialogs


def test_planted_markup_in_the_library_is_shown_as_text(watch, web_bot, hostile_corpus):
    page = watch.page
    open_widget(page, web_bot.base)
    reply = ask(page, hostile_corpus.question)
    custom = custom_of(reply)
    assert custom["kind"] == "answer", custom
    if hostile_corpus.source_title:
        assert any(s["title"] == hostile_corpus.source_title for s in custom["sources"])
    turn = page.locator(".pa-bot.pa-kind-answer").last
    turn.wait_for()
    if hostile_corpus.payload:
        assert hostile_corpus.payload in turn.inner_text()
    injected = page.evaluate(
        f"() => {HOST_JS}.querySelectorAll("
        "'.pa-log img, .pa-log script, .pa-log iframe, .pa-log svg, .pa-log object').length")
    assert injected == 0
    assert page.evaluate("() => window.__pwned") is None
    watch.screenshot("widget-planted-markup")
    assert not watch.errors and not watch.dialogs


def test_keyboard_only(watch, web_bot):
    page = watch.page
    page.goto(web_bot.base + "demo")
    page.get_by_role("button", name="Ask about pain").wait_for()

    def focused() -> str:
        return page.evaluate(
            "() => { let a = document.activeElement;"
            " while (a && a.shadowRoot && a.shadowRoot.activeElement)"
            "   a = a.shadowRoot.activeElement;"
            " return a ? (a.getAttribute('aria-label') || a.textContent || a.id).trim() : ''; }")

    for _ in range(12):  # Tab through the page's links to the launcher
        page.keyboard.press("Tab")
        if focused().endswith("Ask about pain"):
            break
    else:
        raise AssertionError("the launcher cannot be reached with Tab")
    outline = page.evaluate(
        f"() => getComputedStyle({HOST_JS}.querySelector('.pa-launcher')).outlineStyle")
    assert outline != "none", "no visible focus on the launcher"

    with page.expect_response(lambda r: is_message(r.request)):
        page.keyboard.press("Enter")
    assert page.evaluate(f"() => {HOST_JS}.activeElement.id") == "pa-input"
    page.locator(".pa-bot").first.wait_for()
    page.keyboard.type("How does pain work?")
    with page.expect_response(lambda r: is_message(r.request)):
        page.keyboard.press("Enter")
    page.locator(".pa-bot").nth(1).wait_for()
    assert page.locator(".pa-user .pa-text").last.inner_text() == "How does pain work?"

    # Shift+Tab from the input walks back into the latest turn's buttons
    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        kind = page.evaluate(f"() => {HOST_JS}.activeElement.className")
        if kind in ("pa-suggestion", "pa-fb"):
            break
    else:
        raise AssertionError("no suggestion or feedback button reachable with Shift+Tab")
    outline = page.evaluate(f"() => getComputedStyle({HOST_JS}.activeElement).outlineStyle")
    assert outline != "none", "no visible focus on the turn's buttons"
    watch.screenshot("widget-keyboard-focus")
    with page.expect_request(is_message) as chosen:
        page.keyboard.press("Enter")
    assert json.loads(chosen.value.post_data)["message"]
    page.locator(".pa-bot").nth(2).wait_for()
    page.keyboard.press("Escape")
    assert page.locator(".pa-panel").is_hidden()
    assert focused().endswith("Ask about pain")
    assert not watch.errors and not watch.dialogs


@pytest.fixture
def clinic_site(tmp_path, web_bot) -> Iterator[str]:
    """A clinic's own page on another origin (its own loopback server) embedding the widget."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='en'><title>Clinic</title><h1>Clinic</h1>"
        f"<script src='{web_bot.base}widget.js' data-title='Ask us'"
        " data-accent='#ffee88' async></script></html>", encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def test_embedded_on_another_site_with_a_too_light_accent(watch, web_bot, clinic_site):
    """A clinic page on another origin: CORS works and an unreadable accent is replaced."""
    page = watch.page
    page.goto(clinic_site + "/index.html")
    with page.expect_response(lambda r: is_message(r.request)) as greeting:
        page.get_by_role("button", name="Ask us").click()
    assert greeting.value.ok
    assert greeting.value.headers.get("access-control-allow-origin") in ("*", clinic_site)
    page.locator(".pa-bot").first.wait_for()
    background = page.evaluate(
        f"() => getComputedStyle({HOST_JS}.querySelector('.pa-launcher')).backgroundColor")
    assert background == "rgb(31, 78, 121)"  # the dark default, 8.6:1 with white text
    watch.screenshot("widget-embedded-light-accent")
    assert not watch.errors and not watch.dialogs


def test_too_many_messages_get_the_clinics_wording_not_an_error(watch, web_bot):
    from bot import settings

    server = settings.section("server")
    page = watch.page
    open_widget(page, web_bot.base)  # the greeting spent one of the sender's tokens
    statuses = []
    for _ in range(server["rate_limit_sender_burst"] + 4):  # refills 1 in 3 s meanwhile
        box = page.get_by_role("textbox", name="Your question")
        box.fill("hello")
        with page.expect_response(lambda r: is_message(r.request)) as reply:
            box.press("Enter")
        statuses.append(reply.value.status)
        page.get_by_role("button", name="Send").wait_for(state="visible")
        page.wait_for_function(f"() => !{HOST_JS}.querySelector('.pa-send').disabled")
    assert 429 in statuses, statuses
    notice = page.locator(".pa-notice").last
    notice.wait_for()
    assert notice.inner_text() == server["rate_limit_message"]
    watch.screenshot("widget-rate-limited")
    assert not watch.errors and not watch.dialogs
