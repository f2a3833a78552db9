"""Excerpts: one to three whole sentences, verbatim, with lists kept whole."""

from __future__ import annotations

import numpy as np

from knowledge.chunking import Sentence
from knowledge.excerpts import MAX_SENTENCES, select, sentence_scores, sentence_terms

LONG = [  # each over SHORT_SENTENCE_WORDS words, so none is widened for being short
    "Good bread starts with flour, water, salt and yeast mixed together in a large bowl.",
    "The dough is kneaded until it is smooth and elastic and springs back when pressed.",
    "Then it rests in a warm place while the yeast slowly does its work for hours.",
    "A slow rise in a cool kitchen gives the finished loaf noticeably more flavour overall.",
    "Many bakers leave the dough overnight in the fridge before shaping it in the morning.",
]


def layout(parts: list[tuple[str, str]]) -> tuple[str, list[Sentence]]:
    """Text and sentence spans: sentences joined by spaces, items on bullet lines."""
    text, spans = "", []
    for piece, kind in parts:
        if text:
            text += "\n• " if kind == "item" else " "
        spans.append(Sentence(len(text), len(text) + len(piece), kind))
        text += piece
    return text, spans


def test_the_best_sentence_alone_when_its_neighbours_score_low() -> None:
    text, spans = layout([(s, "sentence") for s in LONG])
    excerpt = select(text, spans, np.array([0.1, 0.2, 0.9, 0.3, 0.1]))
    assert excerpt.text == LONG[2]
    assert text[excerpt.start:excerpt.end] == excerpt.text


def test_a_neighbour_scoring_nearly_as_well_joins_up_to_three_sentences() -> None:
    text, spans = layout([(s, "sentence") for s in LONG])
    excerpt = select(text, spans, np.array([0.1, 0.88, 0.9, 0.1, 0.1]))
    assert excerpt.text == f"{LONG[1]} {LONG[2]}"
    everything = select(text, spans, np.full(5, 0.9))
    assert everything.text.count(".") == MAX_SENTENCES
    assert text[everything.start:everything.end] == everything.text


def test_a_short_sentence_is_widened_to_stand_alone() -> None:
    text, spans = layout([(LONG[0], "sentence"), ("It rises.", "sentence"),
                          (LONG[2], "sentence")])
    excerpt = select(text, spans, np.array([0.1, 0.9, 0.2]))
    assert "It rises." in excerpt.text and excerpt.text != "It rises."
    assert text[excerpt.start:excerpt.end] == excerpt.text


def test_an_introducing_line_brings_its_whole_list() -> None:
    text, spans = layout([(LONG[0], "sentence"), ("You will need:", "intro"),
                          ("a sharp blade", "item"), ("a hot oven", "item"),
                          ("a wire rack", "item"), (LONG[3], "sentence")])
    from_intro = select(text, spans, np.array([0.1, 0.9, 0.2, 0.2, 0.2, 0.1]))
    assert from_intro.text == "You will need:\n• a sharp blade\n• a hot oven\n• a wire rack"
    from_item = select(text, spans, np.array([0.1, 0.2, 0.2, 0.9, 0.2, 0.1]))
    assert from_item.text == from_intro.text  # an item brings its introduction and list
    assert text[from_item.start:from_item.end] == from_item.text


def test_a_list_too_long_to_quote_whole_gives_its_best_items_and_their_intro() -> None:
    items = [(f"{sentence[:-1]}, which takes a little practice", "item") for sentence in LONG]
    text, spans = layout([(LONG[0], "sentence"), ("Steps:", "intro"), *items])
    excerpt = select(text, spans, np.array([0.1, 0.2, 0.2, 0.9, 0.3, 0.2, 0.1]))
    assert excerpt.text == f"Steps:\n• {items[0][0]}\n• {items[1][0]}"  # not all 90+ words
    assert text[excerpt.start:excerpt.end] == excerpt.text


def test_an_item_is_never_quoted_without_the_line_that_gives_it_its_sense() -> None:
    items = [(f"have had {thing} in the last few weeks or months", "item") for thing in
             ("a fall", "a fever", "an operation", "an infection", "a scan", "a burn",
              "a rash", "a cough")] + [("are pregnant", "item")]
    text, spans = layout([(LONG[0], "sentence"), ("Do not use the machine if you:", "intro"),
                          *items])
    scores = np.full(len(spans), 0.1)
    scores[-1] = 0.9  # "are pregnant", far down a list too long to quote whole
    excerpt = select(text, spans, scores)
    assert excerpt.text.startswith("Do not use the machine if you:")
    assert excerpt.text.endswith("are pregnant")


def test_sentence_scores_add_a_little_for_shared_words() -> None:
    vectors = np.eye(3, dtype=np.float32)
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    texts = sentence_terms(["flour and water", "bread flour", "a hot oven"])
    plain = sentence_scores(query, vectors, set(), texts)
    np.testing.assert_allclose(plain, [1.0, 0.0, 0.0])
    with_terms = sentence_scores(query, vectors, {"flour"}, texts)
    assert with_terms[1] > plain[1] and with_terms[2] == plain[2]
    assert with_terms[0] > with_terms[1]  # meaning still counts for more than words


def test_an_excerpt_does_not_stop_on_a_lead_in() -> None:
    lead_in = "Here is the part that most people who bake at home never hear about:"
    text, spans = layout([(LONG[0], "sentence"), (lead_in, "intro"), (LONG[3], "sentence"),
                          (LONG[4], "sentence")])
    excerpt = select(text, spans, np.array([0.1, 0.9, 0.2, 0.1]))
    assert excerpt.text == f"{lead_in} {LONG[3]}"  # the lead-in brings what it leads to
    assert not excerpt.text.rstrip().endswith(":")


def test_a_lead_in_whose_sequel_does_not_fit_is_left_out() -> None:
    lead_in = "That leads to the following, which we will come back to in a later chapter:"
    sequel = " ".join([LONG[1]] * 6)  # far over MAX_EXCERPT_WORDS on its own
    text, spans = layout([(LONG[2], "sentence"), (lead_in, "sentence"), (sequel, "sentence")])
    excerpt = select(text, spans, np.array([0.9, 0.85, 0.1]))
    assert excerpt.text == LONG[2]


def test_a_promotional_sentence_is_never_quoted() -> None:
    advert = "At our bakery every loaf is made by hand, so book a class with us today online."
    text, spans = layout([(LONG[0], "sentence"), (advert, "promotional"), (LONG[2], "sentence")])
    # the advert scores best, and its neighbours score nearly as well
    excerpt = select(text, spans, np.array([0.85, 0.95, 0.88]))
    assert advert not in excerpt.text
    assert excerpt.text == LONG[2]


def test_a_bare_web_address_is_never_the_excerpt() -> None:
    link = "https://example.org/bread/article/12345"
    text, spans = layout([(LONG[0], "sentence"), (link, "sentence"), (LONG[2], "sentence")])
    excerpt = select(text, spans, np.array([0.2, 0.9, 0.5]))
    assert link not in excerpt.text


def test_a_passage_with_nothing_quotable_gives_no_excerpt() -> None:
    text, spans = layout([("https://example.org/a", "sentence"),
                          ("Book a class at our bakery today, spaces are limited.", "promotional")])
    assert select(text, spans, np.array([0.9, 0.8])) is None


def test_the_evidence_bonus_marks_sentences_that_report_evidence() -> None:
    from knowledge.excerpts import EVIDENCE_WEIGHT, evidence_bonus
    from knowledge.lexical import terms

    stems = frozenset(terms("trial study found"))
    texts = sentence_terms(["A randomised trial found that most loaves rose higher.",
                            "The dough rests in a warm place.", "Two studies agree."])
    np.testing.assert_allclose(evidence_bonus(texts, stems), [EVIDENCE_WEIGHT, 0.0,
                                                              EVIDENCE_WEIGHT])
