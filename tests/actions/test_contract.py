"""Numbering and plain-text rendering of the response contract."""

from __future__ import annotations

from actions import contract
from knowledge.schema import Excerpt, Hit, Passage, Source
from knowledge.settings import DEFAULT_LIBRARY

SELLS = "sells {treatment}"


def corpus_hit(doc_id: str, filename: str, sentence_no: int) -> Hit:
    """A hit whose excerpt is a real sentence from the default library (never invented
    text)."""
    text = (DEFAULT_LIBRARY / filename).read_text(encoding="utf-8")
    sentence = [line for line in text.splitlines() if line.strip()][sentence_no].strip()
    start = text.index(sentence)
    passage = Passage(id=f"{doc_id}#{sentence_no}", doc_id=doc_id, title=doc_id,
                      section=None, text=sentence, start=start, end=start + len(sentence))
    source = Source(id=doc_id, title=f"Title of {doc_id}", publisher="Publisher")
    return Hit(passage=passage, source=source,
               excerpt=Excerpt(sentence, start, start + len(sentence)), score=1.0)


def test_one_number_per_source_in_order() -> None:
    a1 = corpus_hit("nervous-system-role", "000_889a8a9f41005faa.txt", 1)
    b = corpus_hit("nervous-system-connection", "001_0c4141ba657ee9ef.txt", 3)
    a2 = corpus_hit("nervous-system-role", "000_889a8a9f41005faa.txt", 5)
    excerpts, sources = contract.cite([a1, b, a2], sells_wording=SELLS)
    assert [e["n"] for e in excerpts] == [1, 2, 1]
    assert [(s["n"], s["id"]) for s in sources] == [(1, "nervous-system-role"),
                                                    (2, "nervous-system-connection")]
    assert excerpts[0]["text"] == a1.excerpt.text


def test_known_sources_keep_their_numbers() -> None:
    b = corpus_hit("nervous-system-connection", "001_0c4141ba657ee9ef.txt", 3)
    c = corpus_hit("neuroplastic-pain", "003_0791ee9eb2db5066.txt", 2)
    excerpts, sources = contract.cite([c, b], known=["nervous-system-role",
                                                     "nervous-system-connection"],
                                       sells_wording=SELLS)
    assert [e["n"] for e in excerpts] == [3, 2]
    assert [s["n"] for s in sources] == [2, 3]


def test_plain_texts_read_on_their_own() -> None:
    hit = corpus_hit("nervous-system-role", "000_889a8a9f41005faa.txt", 1)
    excerpts, sources = contract.cite([hit], sells_wording=SELLS)
    assert contract.excerpt_texts(excerpts) == [f"[1] “{hit.excerpt.text}”"]
    assert contract.sources_text("Sources:", sources) == \
        "Sources: [1] Title of nervous-system-role — Publisher"
    body = contract.payload("answer", "Intro", excerpts=excerpts, sources=sources,
                            disclaimer="D", answer_id="x")
    assert set(body) == {"kind", "text", "excerpts", "sources", "disclaimer",
                         "suggestions", "answer_id"}


def test_each_source_is_labelled_with_its_kind_and_what_its_publisher_sells() -> None:
    hit = corpus_hit("nervous-system-role", "000_889a8a9f41005faa.txt", 1)
    hit.source = Source(id="a", title="Title", publisher="PA-OM",
                        kind="acupuncture clinic blog", sells="acupuncture")
    excerpts, sources = contract.cite([hit], sells_wording="sells {treatment}")
    assert sources[0]["label"] == "acupuncture clinic blog, sells acupuncture"
    assert excerpts[0]["source"]["sells"] == "acupuncture"
    assert contract.sources_text("Sources:", sources) == \
        "Sources: [1] Title — PA-OM (acupuncture clinic blog, sells acupuncture)"
    assert contract.source_note("health information article", None, SELLS) == \
        "health information article"
    assert contract.source_note(None, "physiotherapy", "vende {treatment}") == \
        "vende physiotherapy"
    assert contract.source_note(None, None, SELLS) is None


def test_a_quote_with_blank_lines_stays_one_message() -> None:
    text = (DEFAULT_LIBRARY / "000_889a8a9f41005faa.txt").read_text(encoding="utf-8")
    start = text.index("A key concept")
    quote = text[start:text.index("Minor inputs", start)].strip()
    quote = quote.replace("\n", "\n\n")  # as cleaned documents keep paragraphs
    (plain,) = contract.excerpt_texts([{"n": 1, "text": quote}])
    assert "\n\n" not in plain
    assert plain.replace("\n", " ").split() == f"[1] “{quote}”".replace("\n", " ").split()
