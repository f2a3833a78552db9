"""``action_answer``: answer a question with verbatim, cited excerpts, or say it can't.

An answer is one framing sentence, one to three excerpts with numbered citations, the
sources and a disclaimer (preceded, when a session opens with a question, by the
short first-contact introduction). Any message Rasa did not route elsewhere comes here
(low NLU confidence included): the library's answerable decision says whether there is
an answer. When the library does not cover a question it says so, suggests covered
topics and the clinician, and keeps the scrubbed question for the clinic's content
review; only a message that is neither a question nor matches anything in the library
gets "I didn't quite understand", with topics to ask about.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import contract, review_log, tone
from bot import settings
from bot.questions import is_question

SUGGESTED_TOPICS = 3
# "My library doesn't cover X" names X only for a short question and a short X
NAMED_SUBJECT_MAX_WORDS = 4
NAMED_QUESTION_MAX_WORDS = 20


def excerpts_per_answer() -> int:
    """How many excerpts an answer shows (``knowledge.excerpts_per_answer``, 1-3)."""
    configured = settings.section("knowledge").get("excerpts_per_answer") or 3
    return max(1, min(3, int(configured)))


def conversation_context(tracker: Tracker) -> str | None:
    """What the conversation was about: the thread of questions it answered last
    (``thread_after``). The last answer's heading is left out: with the fine-tuned
    search model, adding it cost 3 of the tuning conversations' 27 follow-ups."""
    return tracker.get_slot("last_question") or None


THREAD_MAX_WORDS = 40  # the thread a follow-up is read in keeps its latest words


def thread_after(previous: str | None, question: str, followup: bool) -> str:
    """The question the next follow-up is read against: a follow-up joins the thread
    it continued ("what is central sensitisation" + "can it be undone?"), so a third
    turn ("how long does that take") still knows the subject; a new question starts a
    new thread. At most ``THREAD_MAX_WORDS`` words, the latest kept."""
    if not (followup and previous):
        return question
    return " ".join(f"{previous} {question}".split()[-THREAD_MAX_WORDS:])


CHECK_IN = "utter_check_in"
CHECK_IN_DECLINED = "utter_check_in_declined"


def declines_check_in(tracker: Tracker) -> bool:
    """Whether the latest message answers the safety check-in (the bot's last action
    before it was ``utter_check_in``) with a "no", as the safety screen read it
    (``safety.check_in_reply`` in the parse data). A new question in place of an
    answer is not a "no"."""
    events = list(tracker.events)
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        return False
    actions = [e.get("name") for e in events[users[-2]:users[-1]]
               if e.get("event") == "action" and e.get("name") != "action_listen"]
    safety = (tracker.latest_message or {}).get("safety") or {}
    return actions[-1:] == [CHECK_IN] and safety.get("check_in_reply") == "no"


def question_before_check_in(tracker: Tracker) -> str | None:
    """After a "no" to the check-in, the text of the message the check-in was about."""
    if not declines_check_in(tracker):
        return None
    users = [e for e in tracker.events if e.get("event") == "user"]
    return (users[-2].get("text") or "").strip() or None


def user_question(tracker: Tracker) -> str:
    """The latest message's text, unless it was a ``/intent`` payload; after a bare "no"
    to the check-in, the question the person had asked before it ("no, but what is
    pacing?" is answered itself)."""
    latest = (tracker.latest_message.get("text") or "").strip()
    if not is_question(latest):
        latest = question_before_check_in(tracker) or latest
    return "" if latest.startswith("/") else latest


def is_first_reply(tracker: Tracker) -> bool:
    """Whether the bot has not said anything yet in this session."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return False
        if event.get("event") in {"session_started", "restart"}:
            break
    return True


def topic_of(hit: Any) -> str:
    """The section heading an excerpt sits under, else its document's title."""
    return hit.passage.section or hit.passage.title or hit.source.title


def send_answer(dispatcher: CollectingDispatcher, domain: contract.DomainDict,
                hits: Sequence[Any], intro_response: str,
                known_sources: Sequence[str] = (),
                openings: Sequence[str | None] = ()) -> tuple[str, list[str]]:
    """Utter an answer built from ``hits``; returns (answer id, cited source ids in order).

    Sources already cited for the same question keep their numbers; ``openings`` name
    responses whose words come before the intro, in order (``None`` is skipped).
    """
    intro = with_openings(domain, contract.wording(domain, intro_response), openings)
    disclaimer = contract.wording(domain, "utter_disclaimer")
    excerpts, sources = contract.cite(
        hits, known=known_sources,
        sells_wording=contract.wording(domain, contract.SELLS_RESPONSE))
    answer_id = contract.new_answer_id()
    body = contract.payload(
        "answer", intro, excerpts=excerpts, sources=sources, disclaimer=disclaimer,
        suggestions=contract.buttons(domain, "utter_answer_followups"), answer_id=answer_id,
    )
    texts = [
        intro,
        *contract.excerpt_texts(excerpts),
        contract.sources_text(contract.wording(domain, "utter_sources_line"), sources),
        disclaimer,
    ]
    contract.send(dispatcher, body, texts)
    cited = list(known_sources) + [s["id"] for s in sources if s["id"] not in known_sources]
    return answer_id, cited


def with_openings(domain: contract.DomainDict, text: str,
                  openings: Sequence[str | None]) -> str:
    """``text`` after the words of the named responses (``None`` skipped)."""
    words = [contract.wording(domain, name) for name in openings if name]
    return " ".join([*words, text])


def cut_notice(tracker: Tracker) -> str | None:
    """``utter_message_cut`` when the pipeline read only the beginning of the latest
    message (``cut`` in its parse data: ``bot.components.message_limit``)."""
    return "utter_message_cut" if (tracker.latest_message or {}).get("cut") else None


def topics_list(domain: contract.DomainDict, topics: Sequence[str]) -> str:
    """The plain "It does cover topics like these:" list ("" when there are none)."""
    return (contract.bullet_list(contract.wording(domain, "utter_no_answer_topics"), topics)
            if topics else "")


def not_covered(domain: contract.DomainDict, question: str) -> str:
    """ "My library doesn't cover CRPS": naming, in the person's own words, what the
    library never mentions, when the question is short and says it in a few words;
    else the plain "doesn't cover that question"."""
    from knowledge import missing_subject

    subject = missing_subject(question) if question else []
    if 0 < len(subject) <= NAMED_SUBJECT_MAX_WORDS and \
            len(question.split()) <= NAMED_QUESTION_MAX_WORDS:
        return contract.wording(domain, "utter_no_answer_named").replace(
            "{subject}", " ".join(subject))
    return contract.wording(domain, "utter_no_answer")


def send_no_answer(dispatcher: CollectingDispatcher, domain: contract.DomainDict,
                   question: str, confidence: float | None,
                   openings: Sequence[str | None] = ()) -> None:
    """Say plainly the library can't answer (naming what it lacks when it can), suggest
    covered topics and the clinician; ``openings`` as in ``send_answer``."""
    from knowledge import suggest_topics

    topics = suggest_topics(question, n=SUGGESTED_TOPICS) if question else []
    recorded = bool(question) and review_log.record_unanswered(question, topics, confidence)
    sentences = [with_openings(domain, not_covered(domain, question), openings),
                 contract.wording(domain, "utter_ask_clinician")]
    if recorded:
        sentences.append(contract.wording(domain, "utter_no_answer_recorded"))
    topics_text = topics_list(domain, topics)
    body = contract.payload("no_answer", " ".join(sentences),
                            suggestions=contract.topic_suggestions(topics))
    contract.send(dispatcher, body, [sentences[0], topics_text, *sentences[1:]])


def send_not_understood(dispatcher: CollectingDispatcher, domain: contract.DomainDict,
                        question: str, openings: Sequence[str | None] = ()) -> None:
    """ "I didn't quite understand", with covered topics to ask about; ``openings`` as in
    ``send_answer``."""
    from knowledge import suggest_topics

    text = with_openings(domain, contract.wording(domain, "utter_did_not_understand"),
                         openings)
    topics = suggest_topics(question, n=SUGGESTED_TOPICS)
    body = contract.payload("not_understood", text,
                            suggestions=contract.topic_suggestions(topics))
    topics_text = topics_list(domain, topics)
    contract.send(dispatcher, body, [text, topics_text])


class ActionAnswer(Action):
    """Search the library for the user's question, in the conversation's context."""

    def name(self) -> str:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: contract.DomainDict) -> list[EventType]:
        from knowledge import library_terms, search

        question = user_question(tracker)
        if is_first_reply(tracker):  # a session that opens with a question: say who we are
            dispatcher.utter_message(text=contract.wording(domain, "utter_first_contact"))
        result = search(question, k=excerpts_per_answer(),
                        context=conversation_context(tracker),
                        seen=tracker.get_slot("shown_quote_ids") or ()) if question else None
        after_check_in = declines_check_in(tracker)
        if after_check_in and (result is None or not result.answerable or not result.hits):
            # a "no" to the check-in: the kind words alone, no "my library doesn't cover"
            dispatcher.utter_message(response=CHECK_IN_DECLINED)
            return []
        if question and (result is None or not result.answerable or not result.hits) \
                and not is_question(question) and not library_terms(question):
            send_not_understood(dispatcher, domain, question, [cut_notice(tracker)])
            return [SlotSet("last_reply_kind", "not_understood")]
        if result is None or not result.answerable or not result.hits:
            send_no_answer(dispatcher, domain, question,
                           None if result is None else result.confidence, [cut_notice(tracker)])
            if result is not None and result.followup:  # the thread goes on
                return [SlotSet("last_reply_kind", "no_answer")]
            return [
                SlotSet("last_question", None),
                SlotSet("last_answer_id", None),
                SlotSet("last_passage_ids", None),
                SlotSet("shown_passage_ids", None),
                SlotSet("shown_quote_ids", None),
                SlotSet("last_source_ids", None),
                SlotSet("last_reply_kind", "no_answer"),
            ]
        opening = CHECK_IN_DECLINED if after_check_in else tone.acknowledgement(question)
        answer_id, cited = send_answer(dispatcher, domain, result.hits, "utter_answer_intro",
                                       openings=[cut_notice(tracker), opening])
        passage_ids = [hit.passage_id for hit in result.hits]
        return [
            SlotSet("last_question", thread_after(tracker.get_slot("last_question"), question,
                                                  result.followup)),
            SlotSet("last_topic", topic_of(result.hits[0])),
            SlotSet("last_answer_id", answer_id),
            SlotSet("last_passage_ids", passage_ids),
            SlotSet("shown_passage_ids", passage_ids),
            SlotSet("shown_quote_ids", [hit.quote_id for hit in result.hits]),
            SlotSet("last_source_ids", cited),
            SlotSet("last_reply_kind", "answer"),
        ]
