"""Search: hits with verbatim excerpts, exclusion, follow-ups, and honest abstention.

The first half runs on the tiny neutral corpus with the fake embedder; the second
loads the real model over the default library (index built once per session).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import knowledge
from knowledge.confidence import UNCALIBRATED, Calibration
from knowledge.lexical import terms
from knowledge.query import asked_about
from knowledge.retriever import Retriever, SearchConfig


def check_offsets(retriever: Retriever, result) -> None:
    """Every excerpt is verbatim document text at its offsets, inside its passage."""
    for hit in result.hits:
        text = retriever.index.documents[hit.passage.doc_id]
        assert text[hit.passage.start:hit.passage.end] == hit.passage.text
        assert text[hit.excerpt.start:hit.excerpt.end] == hit.excerpt.text
        assert hit.passage.start <= hit.excerpt.start < hit.excerpt.end <= hit.passage.end
        assert hit.excerpt.text in hit.passage.text
        assert hit.source.id == hit.passage.doc_id


# ---- tiny corpus, fake embedder ------------------------------------------------------
@pytest.fixture
def tiny(tiny_index) -> Retriever:
    out, corpus, embedder = tiny_index
    return Retriever.open(out, corpus, embedder, calibration=UNCALIBRATED)


def test_hits_are_ranked_limited_and_point_at_their_text(tiny: Retriever) -> None:
    result = tiny.search("how often should I check the tyre pressure", k=2)
    assert len(result.hits) == 2
    assert result.hits[0].passage.doc_id == "bicycle"
    assert "tyre pressure" in result.hits[0].excerpt.text
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert 0.0 <= result.confidence <= 1.0
    check_offsets(tiny, result)


def test_k_larger_than_the_library_returns_every_passage_once(tiny: Retriever) -> None:
    result = tiny.search("bread kettle chain", k=50)
    ids = [h.passage_id for h in result.hits]
    assert len(ids) == len(set(ids)) == len(tiny.index.passages)


def test_exclude_removes_passages_already_shown(tiny: Retriever) -> None:
    first = tiny.search("descaling the kettle with vinegar", k=2)
    shown = [h.passage_id for h in first.hits]
    second = tiny.search("descaling the kettle with vinegar", k=2, exclude=shown)
    assert second.hits and not set(shown) & {h.passage_id for h in second.hits}
    assert tiny.search("kettle", k=2, exclude=["no-such-id"]).hits  # unknown ids are ignored


def test_empty_queries_are_not_answerable(tiny: Retriever) -> None:
    for query in ("", "   ", "?!"):
        result = tiny.search(query)
        assert (result.hits, result.answerable, result.confidence) == ([], False, 0.0)


def test_lexical_only_mode_needs_a_shared_word(tiny: Retriever) -> None:
    bm25 = tiny.with_config(SearchConfig(mode="bm25", rerank=False))
    assert bm25.search("zzzz qqqq").hits == []
    hits = bm25.search("vinegar").hits
    assert hits and all("vinegar" in h.passage.text for h in hits)


def test_the_answerable_decision_follows_the_calibration(tiny: Retriever) -> None:
    always = Calibration(weights=(0.0,) * 7, intercept=5.0, threshold=0.5)
    never = Calibration(weights=(0.0,) * 7, intercept=-5.0, threshold=0.5)
    yes = Retriever(tiny.index, tiny.embedder, always, english=frozenset())
    no = Retriever(tiny.index, tiny.embedder, never, english=frozenset())
    assert yes.search("chain oil").answerable and not no.search("chain oil").answerable
    assert no.search("chain oil").hits  # declining still reports what was found


def test_library_terms_are_the_message_terms_the_library_uses(tiny: Retriever) -> None:
    vocabulary = tiny.index.lexical.terms
    found = tiny.library_terms("purple monkey dishwasher and my bicycle chain")
    assert found and set(found) <= vocabulary
    assert tiny.library_terms("purple monkey dishwasher") == []


def test_missing_words_are_the_first_run_the_library_never_mentions(tiny: Retriever) -> None:
    vocabulary = tiny.index.lexical.terms
    assert "chain" in vocabulary and "dishwash" not in vocabulary
    assert tiny.missing_words("what about a purple dishwasher for my chain?") == [
        "purple", "dishwasher"]
    assert tiny.missing_words("how do I oil a bicycle chain") == []
    # a capitalised word inside a sentence may be a name: never echoed back
    assert tiny.missing_words("I'm Priya, is a Dishwasher good for the chain") == []
    assert tiny.missing_words("Dishwasher tips?") == ["Dishwasher"]
    # named only where the question's grammar makes it the subject
    assert tiny.missing_subject("what is a dishwasher?") == ["dishwasher"]
    assert tiny.missing_subject("what about dishwashers?") == ["dishwashers"]
    # the subject goes on past the missing word ("dry needling", not "dry")
    assert tiny.missing_subject("what is a dishwasher chain?") == ["dishwasher", "chain"]
    assert tiny.missing_subject("my dishwasher broke, how do I oil the chain") == []
    # adverbs and vague words are never what a question is about
    assert tiny.missing_words("what exactly is a dishwasher, basically") == ["dishwasher"]
    # nor are everyday verbs the library happens not to use
    assert tiny.missing_words("how do I go about oiling the chain") == []


def test_result_to_dict_is_json(tiny: Retriever) -> None:
    data = json.loads(json.dumps(tiny.search("shaping the loaf", k=1).to_dict()))
    assert set(data) == {"query", "answerable", "confidence", "hits"}
    hit = data["hits"][0]
    assert {"passage_id", "excerpt", "passage", "source", "score"} <= set(hit)
    assert hit["source"]["title"] == "Baking Bread at Home"


# ---- the real model over the default library ------------------------------------------
UNRELATED = [
    "what will the weather be like tomorrow?",
    "what are mortgage rates right now?",
    "how many 400mg ibuprofen can I take in a day?",
    "I have an itchy rash on my arm, what is it?",
    "should I try CBD oil?",
    "does yoga help back pain?",  # close to back-pain passages, but yoga is never mentioned
]


@pytest.mark.parametrize("query", UNRELATED)
def test_unrelated_questions_are_declined(default_retriever: Retriever, query: str) -> None:
    result = default_retriever.search(query)
    assert result.answerable is False, (query, result.confidence)


@pytest.mark.parametrize(("query", "words"), [
    ("why do I hurt when my scans are normal", ("scan", "mri", "imaging")),
    ("what is central sensitisation?", ("central sensiti",)),
    ("does stress make pain worse?", ("stress",)),
    ("can acupuncture help persistent pain?", ("acupuncture",)),
])
def test_covered_questions_are_answered_with_a_relevant_hit(
        default_retriever: Retriever, query: str, words: tuple[str, ...]) -> None:
    result = default_retriever.search(query)
    assert result.answerable is True, (query, result.confidence)
    assert any(w in h.passage.text.lower() for h in result.hits for w in words)
    check_offsets(default_retriever, result)


def test_a_misspelt_question_finds_central_sensitisation(default_retriever: Retriever) -> None:
    result = default_retriever.search("wat is centrel sensitisation")
    assert result.answerable
    assert "central sensitisation" in result.hits[0].passage.text.lower()


def test_a_followup_about_a_study_finds_the_trial(default_retriever: Retriever) -> None:
    result = default_retriever.search("how many people got better in that study?",
                                      context="what is pain reprocessing therapy?")
    assert any("two thirds of participants" in h.passage.text for h in result.hits[:3])


def test_a_question_about_something_never_mentioned_is_declined(
        default_retriever: Retriever) -> None:
    assert default_retriever.unmentioned("is swimming good for chronic pain?") == ["swimming"]
    assert default_retriever.unmentioned("does acupuncture help chronic pain?") == []
    # one named thing the library discusses is enough for it to try
    assert default_retriever.unmentioned("is breathwork or cold showers worth a try") == []
    assert not default_retriever.search("is swimming good for chronic pain?").answerable
    assert default_retriever.search("does acupuncture help chronic pain?").answerable

    # a kind of thing ("therapy", "machines", "any good") does not make it one the library
    # discusses; an unknown long word is a subject, not a typo
    assert default_retriever.unmentioned("is cupping therapy any good for a stiff neck") == [
        "cupping"]
    assert default_retriever.unmentioned("does hypnotherapy help with pain") == ["hypnotherapy"]
    assert not default_retriever.search("does hypnotherapy help with pain").answerable
    assert default_retriever.unmentioned("is mindfulness any good for back pain") == []


@pytest.mark.parametrize(("query", "phrase"), [
    ("tiny things hurt way more than they should", "hyperalgesia"),
    ("why does my back hurt just thinking about moving", "sensitis"),
    ("my doctor thinks i'm making it up", "psychosomatic"),
])
def test_everyday_descriptions_find_the_library_concept(
        default_retriever: Retriever, query: str, phrase: str) -> None:
    result = default_retriever.search(query)
    assert any(phrase in h.passage.text.lower() for h in result.hits), query


def test_a_followup_about_acupuncture_returns_acupuncture(default_retriever: Retriever) -> None:
    result = default_retriever.search("what about acupuncture?",
                                      context="what treatments help chronic pain?")
    assert result.answerable
    assert all("acupuncture" in h.passage.text.lower() for h in result.hits)


def test_a_followup_turning_to_an_unknown_subject_is_not_answered(
        default_retriever: Retriever) -> None:
    # as the bot gives it: the last question and the heading of its answer
    context = "Does acupuncture help chronic back pain? How Acupuncture Influences Pain Signaling"
    turned = default_retriever.search("what about for CRPS specifically?", context=context)
    # the context alone would carry it past the threshold with acupuncture passages
    assert turned.followup
    assert turned.confidence >= default_retriever.calibration.threshold
    assert not turned.answerable
    assert default_retriever.missing_subject("what about for CRPS specifically?") == ["CRPS"]
    # a short name the library knows by its long one is not an unknown subject
    assert default_retriever.missing_subject("what about fibro?") == []
    assert default_retriever.search("what about fibro?", context=context).answerable


def test_a_followup_is_not_given_all_the_quotes_it_was_just_shown(
        default_retriever: Retriever) -> None:
    first = default_retriever.search(
        "my mri says mild degenerative changes, is my spine crumbling?")
    context = f"{first.query} {first.hits[0].passage.section}"
    shown = [h.passage_id for h in first.hits]
    followup = "so why does it hurt so much then"
    plain = default_retriever.search(followup, context=context)
    fresh = default_retriever.search(followup, context=context, seen=shown)
    assert plain.followup and fresh.followup
    assert set(shown) & {h.passage_id for h in plain.hits}  # without it: the same quotes
    assert len(fresh.hits) == len(plain.hits) == 3
    # the best passage stays first, shown or not; then fresh ones before shown ones
    assert plain.hits[0].passage_id in shown
    assert fresh.hits[0].passage_id == plain.hits[0].passage_id
    new = [h.passage_id not in shown for h in fresh.hits[1:]]
    assert any(new) and new == sorted(new, reverse=True)
    assert [h.passage_id for h in fresh.hits] != [h.passage_id for h in plain.hits]
    assert fresh.confidence == plain.confidence  # the decision is the question's
    # a question that is not a follow-up ignores what was shown
    again = default_retriever.search(first.query, seen=shown)
    assert [h.passage_id for h in again.hits] == shown


def test_a_passage_shown_before_is_fresh_when_another_part_of_it_is_quoted(
        default_retriever: Retriever) -> None:
    first = default_retriever.search("what is pain reprocessing therapy", k=3)
    shown_quotes = [h.quote_id for h in first.hits]
    followup = "and does it actually work?"
    plain = default_retriever.search(followup, k=3, context=first.query)
    by_quote = default_retriever.search(followup, k=3, context=first.query, seen=shown_quotes)
    assert by_quote.followup
    assert set(shown_quotes) & {h.quote_id for h in plain.hits[1:]}  # unseen: repeats
    # the trial sits in a passage already quoted for its description: a new quote
    assert any("RCT" in h.excerpt.text for h in by_quote.hits)
    assert not set(shown_quotes) & {h.quote_id for h in by_quote.hits[1:]}


def test_a_does_it_work_question_quotes_the_evidence_in_its_passages(
        default_retriever: Retriever, monkeypatch) -> None:
    question = "any decent evidence pain reprocessing therapy does anything?"

    def quotes_the_trial() -> bool:
        return any("RCT" in hit.excerpt.text
                   for hit in default_retriever.search(question, k=3).hits)

    assert quotes_the_trial()
    monkeypatch.setattr("knowledge.excerpts.EVIDENCE_WEIGHT", 0.0)
    assert not quotes_the_trial()  # the passage is found either way; the quote differs


def test_asking_whether_it_can_be_undone_finds_the_passages_on_reversing_it(
        default_retriever: Retriever) -> None:
    result = default_retriever.search("is that reversible though?", k=3,
                                      context="what does central sensitisation mean")
    assert result.followup and result.answerable
    assert any("revers" in hit.passage.text or "both ways" in hit.passage.text
               for hit in result.hits)


def test_exclude_gives_the_next_passages(default_retriever: Retriever) -> None:
    first = default_retriever.search("what is central sensitisation?", k=3)
    shown = [h.passage_id for h in first.hits]
    more = default_retriever.search("what is central sensitisation?", k=3, exclude=shown)
    assert len(more.hits) == 3 and not set(shown) & {h.passage_id for h in more.hits}
    assert any("sensiti" in h.passage.text.lower() for h in more.hits)


def test_excerpts_of_dev_questions_are_verbatim(default_retriever: Retriever) -> None:
    from knowledge.eval.dataset import load_set

    queries = load_set("dev")[::6]
    for q in queries:
        result = default_retriever.search(q.text, k=3, context=q.context)
        # fewer than three only when a "does X help" question names X in fewer passages
        assert 1 <= len(result.hits) <= 3
        if len(result.hits) < 3:
            about = {t for w in asked_about(q.text) for t in terms(w)}
            assert about and all(about & set(terms(h.passage.text)) for h in result.hits)
        check_offsets(default_retriever, result)
        for hit in result.hits:
            assert hit.passage.kind == "content"
            spans = default_retriever.index.sentences[default_retriever._ids[hit.passage_id]]
            assert hit.excerpt.start in {s.start for s in spans}  # whole sentences only
            assert hit.excerpt.end in {s.end for s in spans}


def test_confidence_orders_covered_above_unrelated(default_retriever: Retriever) -> None:
    covered = default_retriever.search("what is central sensitisation?").confidence
    unrelated = [default_retriever.search(q).confidence for q in UNRELATED]
    assert covered > max(unrelated)


def test_the_package_api_uses_the_retriever_it_is_given(default_retriever: Retriever) -> None:
    knowledge.set_retriever(default_retriever)
    try:
        result = knowledge.search("what is central sensitisation?", k=2)
        assert len(result.hits) == 2 and result.answerable
        assert knowledge.get_source("neuroplastic-pain").title == (
            "Untitled article (topic: neuroplastic pain)")
        assert knowledge.get_source("nope") is None
        topics = knowledge.list_topics()
        assert "Central sensitisation" in topics and "References" not in topics
        assert "The Bottom Line" not in topics and len(topics) == len(set(topics))
        suggested = knowledge.suggest_topics("does acupuncture help?", n=3)
        assert len(suggested) == 3 and set(suggested) <= set(topics)
        assert any("acupuncture" in t.lower() for t in suggested)
    finally:
        knowledge.set_retriever(None)


def test_query_vectors_are_normalised(default_retriever: Retriever) -> None:
    vectors = default_retriever.embedder.encode(["a", "what is pain?"])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors.dtype == np.float32 and vectors.shape[1] == default_retriever.embedder.dim


def test_a_calibration_for_another_embedding_size_is_refused(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    from knowledge.confidence import Calibration

    other = Calibration((0.0,) * 7, 0.0, 0.5, embedding_weights=(0.1,) * 384, embedding_scale=3.0)
    with pytest.raises(ValueError, match="384-dimensional"):
        Retriever.open(out, corpus, embedder, calibration=other)


def test_a_calibration_fitted_on_another_embedding_model_is_refused(tiny_index) -> None:
    out, corpus, embedder = tiny_index
    from knowledge.confidence import Calibration

    other = Calibration((0.0,) * 7, 0.0, 0.5, embedding_weights=(0.1,) * embedder.dim,
                        embedding_scale=3.0, embedding_model="another-model==1.0")
    with pytest.raises(ValueError, match="another-model==1.0"):
        Retriever.open(out, corpus, embedder, calibration=other)
    same = Calibration((0.0,) * 7, 0.0, 0.5, embedding_weights=(0.1,) * embedder.dim,
                       embedding_scale=3.0, embedding_model=embedder.version)
    assert Retriever.open(out, corpus, embedder, calibration=same).calibration is same


@pytest.mark.parametrize(("query", "context"), [
    ("why do I hurt when my scans are normal", None),
    ("what about acupuncture?", "what treatments help chronic pain?"),
    ("what is the weather tomorrow", None),
])
def test_calibration_features_are_the_ones_search_uses(
        default_retriever: Retriever, query: str, context: str | None) -> None:
    """The calibration is fitted on ``signals()``; ``search()`` must score the same."""
    fitted_on = default_retriever.signals(query, context)
    result = default_retriever.search(query, context=context)
    assert result.signals == fitted_on
    assert np.allclose(result.signals.query_vector, fitted_on.query_vector)
    assert result.confidence == pytest.approx(
        default_retriever.calibration.probability(fitted_on), abs=1e-6)


def test_a_does_x_help_question_is_answered_only_from_passages_naming_x(tiny: Retriever) -> None:
    plain = tiny.search("oil for the bicycle chain, and water in the kettle", k=3).hits
    assert any("oil" not in h.passage.text.lower() for h in plain)  # other passages too
    hits = tiny.search("does oil help the bicycle chain, and water in the kettle?", k=3).hits
    assert hits and all("oil" in h.passage.text.lower() for h in hits)


def test_a_chat_filler_is_never_named_as_the_missing_subject(tiny: Retriever) -> None:
    assert tiny.missing_words("ok so what about a dishwasher") == ["dishwasher"]


def test_every_configuration_searches_past_an_unquotable_passage(
        tiny: Retriever, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without rerank only the top k get sentence scores up front; a passage reached past
    them (because one above had nothing quotable) is scored when it is reached."""
    from knowledge import excerpts

    plain = tiny.with_config(SearchConfig(mode="hybrid", rerank=False))
    best = plain.search("oil for the bicycle chain", k=2).hits[0].passage_id
    real = excerpts.select

    def nothing_quotable_in_the_best(doc_text, sentences, scores):  # noqa: ANN001, ANN202
        excerpt = real(doc_text, sentences, scores)
        return None if excerpt and doc_text[excerpt.start:excerpt.end] in \
            tiny.index.passages[tiny._ids[best]].text else excerpt

    monkeypatch.setattr(excerpts, "select", nothing_quotable_in_the_best)
    hits = plain.search("oil for the bicycle chain", k=2).hits
    assert len(hits) == 2 and best not in [h.passage_id for h in hits]


@pytest.mark.parametrize("bad", [{"mode": "semantic"}, {"fusion": "max"},
                                 {"dense_weight": 1.5}, {"candidates": 0}])
def test_search_config_is_checked_when_built(bad: dict) -> None:
    with pytest.raises(ValueError):
        SearchConfig(**bad)
