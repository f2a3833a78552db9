"""Chunking: quotable passages that keep their place, their headings and whole sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.chunking import MAX_WORDS, chunk_corpus, passage_id, split_sentences, words
from knowledge.cleaning import clean
from knowledge.documents import load_corpus
from knowledge.settings import DEFAULT_LIBRARY
from tests.knowledge.knowledge_testkit import BICYCLE, BREAD, KETTLE, write_corpus

_SENTENCE_END = re.compile(r"[.!?:][\"”’')\]]*$")
_AFTER_SENTENCE = re.compile(r"[.!?:][\"”’')\]]*\s+$")


def cleaned(folder: Path):
    return [clean(d) for d in load_corpus(folder)]


DEFAULT_DOCS = cleaned(DEFAULT_LIBRARY)
DEFAULT_CHUNKS = chunk_corpus(DEFAULT_DOCS)
TEXTS = {d.source.id: d for d in DEFAULT_DOCS}


def _block_edges(doc) -> tuple[set[int], set[int]]:
    return {b.start for b in doc.blocks}, {b.end for b in doc.blocks}


def test_the_default_corpus_makes_passages_of_every_document() -> None:
    assert {c.passage.doc_id for c in DEFAULT_CHUNKS} == set(TEXTS)
    assert len(DEFAULT_CHUNKS) >= 40


@pytest.mark.parametrize("chunk", DEFAULT_CHUNKS, ids=lambda c: c.passage.id)
def test_passage_offsets_point_at_its_text(chunk) -> None:
    p = chunk.passage
    assert TEXTS[p.doc_id].text[p.start:p.end] == p.text
    for s in chunk.sentences:
        assert p.start <= s.start < s.end <= p.end


@pytest.mark.parametrize("chunk", DEFAULT_CHUNKS, ids=lambda c: c.passage.id)
def test_passages_hold_whole_sentences_and_stay_under_max_words(chunk) -> None:
    p = chunk.passage
    doc = TEXTS[p.doc_id]
    starts, ends = _block_edges(doc)
    assert words(p.text) <= MAX_WORDS
    assert p.end in ends or (_SENTENCE_END.search(doc.text[:p.end])
                             and doc.text[p.end:p.end + 1].isspace()), p.text[-60:]
    assert p.start in starts or _AFTER_SENTENCE.search(doc.text[:p.start]), p.text[:60]


@pytest.mark.parametrize("chunk", DEFAULT_CHUNKS, ids=lambda c: c.passage.id)
def test_passages_keep_document_title_and_section_heading(chunk) -> None:
    p = chunk.passage
    doc = TEXTS[p.doc_id]
    assert p.title == doc.source.title
    first = next(b for b in doc.blocks if b.start <= p.start < b.end + 1 and b.kind != "heading")
    assert p.section == first.section
    last = next(b for b in doc.blocks if b.start < p.end <= b.end)
    assert last.section == p.section  # a passage never runs across a heading
    assert not any(b.kind == "heading" and p.start <= b.start < p.end for b in doc.blocks)


def test_every_content_block_is_in_a_passage_unless_it_repeats_one() -> None:
    for doc in DEFAULT_DOCS:
        spans = [(c.passage.start, c.passage.end) for c in DEFAULT_CHUNKS
                 if c.passage.doc_id == doc.source.id]
        seen: set[str] = set()
        for block in doc.blocks:
            if block.kind == "heading":
                continue
            inside = sum(s <= block.start and block.end <= e for s, e in spans)
            repeat = block.kind == "paragraph" and block.text in seen
            assert inside == (0 if repeat else 1), block.text[:60]
            seen.add(block.text)


def test_reference_lists_are_marked_and_content_is_not() -> None:
    kinds = {(c.passage.doc_id, c.passage.section): c.passage.kind for c in DEFAULT_CHUNKS}
    assert kinds[("acupuncture-persistent-pain", "References")] == "reference"
    assert kinds[("neuroplasticity-back-pain", "References")] == "reference"
    assert {k for (_, s), k in kinds.items() if s != "References"} == {"content"}


@pytest.mark.parametrize("start", [
    "Understanding why pain persists helps clarify where acupuncture can be helpful",
    "One of the most valuable roles of acupuncture in persistent pain",
])
def test_repeated_paragraphs_of_doc_002_are_indexed_once(start: str) -> None:
    raw = load_corpus(DEFAULT_LIBRARY)[2]
    assert sum(b.text.startswith(start) for b in raw.blocks) >= 2  # the file repeats it
    holding = [c for c in DEFAULT_CHUNKS if start in c.passage.text]
    assert len(holding) == 1
    assert holding[0].passage.text.count(start) == 1


def test_near_duplicate_paragraphs_are_indexed_once(tmp_path: Path) -> None:
    original = ("The risen dough is tipped onto a floured bench and folded gently, then shaped "
                "into a tight ball so the crust can form evenly in the oven.")
    variants = [
        original.replace(",", ";").replace(".", "!"),  # punctuation
        original.replace(" ", "  ").replace("gently", "gently\u00a0"),  # whitespace
        original.replace("floured", "floureed"),  # one typo
        original.upper(),  # case
    ]
    distinct = ("The risen dough is rested for ten minutes before the final shaping, which "
                "keeps the gluten relaxed and stops the loaf from tearing.")  # same opening
    folder = write_corpus(tmp_path / "c", {
        "a.txt": "\n".join(["Shaping", original, variants[0], distinct, variants[1]]),
        "b.txt": "\n".join(["Shaping Again", variants[2], "Crumb", variants[3]]),
    })
    chunks = chunk_corpus(cleaned(folder))
    text = "\n".join(c.passage.text for c in chunks)
    assert text.count("tipped onto a floured bench") == 1
    assert "FLOURED BENCH" not in text and "floureed" not in text
    assert distinct in text  # a paragraph that merely starts the same way stays


def test_long_paragraphs_are_split_between_sentences(tmp_path: Path) -> None:
    sentences = [f"Loaf number {n} was baked at a different heat and sliced after cooling "
                 f"for exactly {n + 10} minutes on the rack." for n in range(20)]
    folder = write_corpus(tmp_path / "c", {"long.txt": " ".join(sentences) + "\n"})
    chunks = chunk_corpus(cleaned(folder))
    assert len(chunks) >= 2
    assert all(words(c.passage.text) <= MAX_WORDS for c in chunks)
    assert " ".join(c.passage.text for c in chunks) == " ".join(sentences)
    for c in chunks:
        assert c.passage.text.startswith("Loaf number") and c.passage.text.endswith("rack.")


def test_a_list_stays_with_the_line_that_introduces_it(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"bread.txt": BREAD})
    chunks = chunk_corpus(cleaned(folder))
    holding = [c for c in chunks if "You will need:" in c.passage.text]
    assert len(holding) == 1
    assert holding[0].passage.text.endswith("• a wire rack for cooling")
    assert [s.kind for s in holding[0].sentences][-4:] == ["intro", "item", "item", "item"]


def test_a_long_list_item_is_quoted_sentence_by_sentence(tmp_path: Path) -> None:
    item = ("- Rest the dough for an hour in a warm place so the yeast can work through "
            "it. Then knock it back gently, fold it into a tight ball and leave it to prove "
            "again on a floured tray. Bake it when it has doubled, in a hot oven with a tray "
            "of water underneath.")
    folder = write_corpus(tmp_path / "c", {"dough.txt": "Steps to follow:\n" + item + "\n"
                                           "- Slice it when cool.\n"})
    (chunk,) = chunk_corpus(cleaned(folder))
    units = [chunk.passage.text[s.start - chunk.passage.start:s.end - chunk.passage.start]
             for s in chunk.sentences]
    assert [s.kind for s in chunk.sentences] == ["intro", "item", "item", "item", "item"]
    assert units[1] == "Rest the dough for an hour in a warm place so the yeast can work " \
        "through it." and units[-1] == "Slice it when cool."


def test_passage_ids_depend_on_document_and_text_only() -> None:
    assert passage_id("a", "Some text.") == passage_id("a", "Some text.")
    assert passage_id("a", "Some text.") != passage_id("b", "Some text.")
    assert passage_id("a", "Some text.") != passage_id("a", "Some text!")
    assert all(c.passage.id == passage_id(c.passage.doc_id, c.passage.text)
               for c in DEFAULT_CHUNKS)
    assert len({c.passage.id for c in DEFAULT_CHUNKS}) == len(DEFAULT_CHUNKS)


def test_ids_of_untouched_documents_survive_corpus_changes(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"bread.txt": BREAD, "bicycle.txt": BICYCLE})

    def ids() -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for c in chunk_corpus(cleaned(folder)):
            out.setdefault(c.passage.doc_id, set()).add(c.passage.id)
        return out

    before = ids()
    (folder / "a-kettle.txt").write_text(KETTLE, encoding="utf-8")  # sorts first
    (folder / "bicycle.txt").unlink()
    after = ids()
    assert set(after) == {"a-kettle", "bread"}
    assert after["bread"] == before["bread"]
    # an edit changes only the edited document's changed passages
    (folder / "bread.txt").write_text(BREAD.replace("a wire rack", "a cooling rack"),
                                      encoding="utf-8")
    edited = ids()
    assert edited["a-kettle"] == after["a-kettle"]
    assert edited["bread"] != after["bread"] and edited["bread"] & after["bread"]


def test_split_sentences_covers_the_text() -> None:
    text = "First one. Second one?  Third “quoted” one! Fourth"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "First one.", "Second one?", "Third “quoted” one!", "Fourth"]


def test_promotional_fragments_in_the_manifest_mark_their_sentences(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"bread.txt": BREAD}, manifest=[
        {"file": "bread.txt", "id": "bread", "promotional": ["The dough is mixed until"]}])
    chunks = chunk_corpus(cleaned(folder))
    marked = [c.passage.text[s.start - c.passage.start:s.end - c.passage.start]
              for c in chunks for s in c.sentences if s.kind == "promotional"]
    assert len(marked) == 1 and marked[0].startswith("The dough is mixed until")


def test_a_promotional_fragment_the_document_lacks_is_an_error(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"bread.txt": BREAD}, manifest=[
        {"file": "bread.txt", "id": "bread", "promotional": ["Buy our sourdough starter"]}])
    with pytest.raises(ValueError, match="promotional text not found"):
        cleaned(folder)
