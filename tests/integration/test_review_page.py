"""The review page end to end: served by the real stack behind its login, it groups the
questions real conversations could not get answered, and never shows who asked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import requests

from bot.review import login
from bot.serving import stack as bot_stack
from tests.integration.conftest import Client, new_sender

pytestmark = pytest.mark.integration

USERNAME = "clinician"
PASSWORD = "integration test password"
LIVER = ["How does the liver filter toxins out of the blood?",
         "how does my liver clean toxins from the blood"]
HEARING = "How do hearing aids work?"
COVERED = "What is central sensitisation?"


@pytest.fixture(scope="module")
def review_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[bot_stack.Stack]:
    """The real stack with the review page on, its login from the environment."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PAIN_REVIEW_PAGE", "on")
        env.setenv("PAIN_REVIEW_USERNAME", USERNAME)
        env.setenv("PAIN_REVIEW_PASSWORD_HASH", login.hash_password(PASSWORD))
        env.setenv("PAIN_PRIVACY_RECORD_UNANSWERED", "true")
        env.setenv("PAIN_PRIVACY_RECORD_FEEDBACK", "true")
        try:
            stack = bot_stack.start_stack(bot_stack.free_port(), bot_stack.free_port(),
                                          tmp_path_factory.mktemp("review"))
        except bot_stack.StackError as exc:
            pytest.fail(str(exc), pytrace=False)
    try:
        yield stack
    finally:
        stack.stop()


def get(url: str, auth: tuple[str, str] | None = None) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    return session.get(url, auth=auth, timeout=120)


def test_the_page_is_off_in_the_default_stack(stack: bot_stack.Stack) -> None:
    for path in ("", "export.csv"):
        reply = get(f"{stack.rasa_url}/webhooks/review/{path}", (USERNAME, PASSWORD))
        assert reply.status_code == 404


def test_the_page_groups_real_unanswered_questions_behind_its_login(
        review_stack: bot_stack.Stack) -> None:
    client = Client(review_stack)
    senders = [new_sender() for _ in range(4)]
    for sender, question in zip(senders, [*LIVER, HEARING], strict=False):
        assert Client.custom(client.ask(question, sender))["kind"] == "no_answer"
    answered = Client.custom(client.ask(COVERED, senders[3]))
    assert answered["kind"] == "answer", answered
    client.ask("/feedback_not_helpful", senders[3])

    base = f"{review_stack.rasa_url}/webhooks/review/"
    assert get(base).status_code == 401
    assert get(base, (USERNAME, "not the password")).status_code == 401
    page = get(base, (USERNAME, PASSWORD))
    assert page.status_code == 200, page.text[:500]
    assert '<td class="n">2</td>' in page.text  # the two liver questions, one group
    for text in [*LIVER, HEARING, COVERED]:
        assert text in page.text
    for sender in senders:
        assert sender not in page.text and sender.removeprefix("it-") not in page.text

    export = get(base + "export.csv", (USERNAME, PASSWORD))
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    groups = {r["question"]: (r["list"], r["group"]) for r in rows}
    assert groups[LIVER[0]] == groups[LIVER[1]] != groups[HEARING]
    assert groups[COVERED][0] == "not_helpful"
    (unhelpful,) = [r for r in rows if r["list"] == "not_helpful"]
    assert unhelpful["sources_quoted"], unhelpful
    assert not any(sender in export.text for sender in senders)
