"""Reading a corpus folder: formats, metadata from the manifest or front matter, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.chunking import chunk_corpus
from knowledge.cleaning import clean
from knowledge.documents import CorpusError, load_corpus, normalise
from tests.knowledge.knowledge_testkit import write_corpus

MARKDOWN = """---
title: Looking After a Bicycle
author: Sam Rider
publisher: Cycle Club
date: 2024-05-01
url: https://example.org/bike
kind: club newsletter
---
# Looking After a Bicycle

## Tyres and Brakes

Check the tyre pressure every week with a **gauge**. Soft tyres wear *quickly* and make
the ride slow.

- replace the pads when the grooves disappear
- clean the rims after wet rides

## The Chain

A clean chain lasts longer and shifts more smoothly between gears.
"""

HTML = """<html><head><title>Descaling</title></head><body>
<h1>Descaling a Kettle</h1>
<h2>Why Scale Forms</h2>
<p>Hard water leaves a <em>chalky</em> layer inside the kettle every time it boils.
The layer slows heating.</p>
<ul><li>It flakes into drinks</li><li>It wastes energy</li></ul>
<h2>Removing It</h2>
<p>Fill the kettle halfway with <a href="/vinegar">vinegar</a> and water and let it stand.</p>
<p>Scroll to Top</p>
</body></html>
"""


def make_pdf(lines: list[str], leading: int = 14) -> bytes:
    """A minimal valid one-page PDF (Helvetica, one text line per entry, ``leading`` pt
    apart; an entry starting with "#" is set in a larger font).

    Written by hand because no PDF-writing library with text support is installed;
    the cross-reference table carries real byte offsets.
    """
    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 12 Tf", f"{leading} TL", "72 760 Td"]
    for line in lines:
        size = 12
        if line.startswith("#"):  # a heading: 16 pt, still 14 pt below the last line
            size, line = 16, line.lstrip("# ")
        if line:
            ops += [f"/F1 {size} Tf", f"({escape(line)}) Tj"]
        ops.append("T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


PDF_LINES = [
    "Descaling a Kettle",
    "",
    "Why Scale Forms",
    "",
    "Hard water leaves a chalky layer inside the kettle every time it boils.",
    "The layer slows heating and flakes into drinks.",
    "",
    "- vinegar and water in equal parts",
    "- an hour of soaking",
    "",
    "Rinse the kettle twice with clean water before using it again.",
]


def by_id(folder: Path) -> dict:
    return {d.source.id: d for d in load_corpus(folder)}


def test_text_lines_become_blocks_with_bullets_as_items(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"notes.txt": (
        "First  line\u00a0with   odd spacing.\n\n"
        "- a dashed item\n  • a bulleted item\n2. a numbered item\n-\n"
        "Last line.\n")})
    doc = by_id(folder)["notes"]
    assert [(b.text, b.kind) for b in doc.blocks] == [
        ("First line with odd spacing.", "paragraph"),
        ("a dashed item", "item"), ("a bulleted item", "item"), ("a numbered item", "item"),
        ("-", "paragraph"), ("Last line.", "paragraph"),
    ]
    assert doc.source.title == "Untitled document (notes.txt)"
    assert doc.source.path == "notes.txt"


def test_normalise_collapses_odd_spaces_and_composes() -> None:
    assert normalise("  a\u00a0\u2009b \t c  ") == "a b c"
    assert normalise("cafe\u0301") == "caf\u00e9"


def test_normalise_spells_out_ligatures_a_pdf_sets() -> None:
    assert normalise("the \ufb01rst di\ufb00erence, \ufb02are-up") == \
        "the first difference, flare-up"


def test_a_pdf_printed_from_a_web_page_keeps_its_widely_spaced_paragraphs_whole(
        tmp_path: Path) -> None:
    """Web pages set about 1.7 times the font size between lines; a paragraph's lines
    must not become separate blocks (sentences cut mid-line were quoted)."""
    lines = ["Hard water leaves a chalky layer inside the", "kettle every time it boils and",
             "slows heating.", "", "Rinse the kettle twice with clean water before",
             "using it again."]
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "kettle.pdf").write_bytes(make_pdf(lines, leading=21))
    write_corpus(folder, {}, [{"file": "kettle.pdf", "title": "Descaling a Kettle"}])
    assert [b.text for b in load_corpus(folder)[0].blocks] == [
        "Hard water leaves a chalky layer inside the kettle every time it boils and "
        "slows heating.", "Rinse the kettle twice with clean water before using it again."]


def test_a_web_page_with_one_article_is_read_from_the_article_alone(tmp_path: Path) -> None:
    article = " ".join(["The chain lasts longer when it is wiped after wet rides."] * 15)
    page = (f"<html><body><div class='cookies'><p>We use cookies. Accept all</p></div>"
            f"<main><div>Share this page: Facebook Email</div><article><h1>Chains</h1>"
            f"<p>{article}</p></article><div><p>Was this page helpful?</p></div></main>"
            f"<div><p>Sign up for our newsletter.</p></div></body></html>")
    folder = write_corpus(tmp_path / "c", {"chain.html": page})
    text = " ".join(b.text for b in load_corpus(folder)[0].blocks)
    assert text.startswith("Chains The chain lasts longer")
    assert "cookies" not in text and "Share" not in text and "helpful" not in text \
        and "newsletter" not in text


def test_markdown_front_matter_headings_and_items(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"bike-guide.md": MARKDOWN})
    doc = by_id(folder)["bike-guide"]
    src = doc.source
    assert (src.title, src.author, src.publisher, src.date, src.url, src.kind) == (
        "Looking After a Bicycle", "Sam Rider", "Cycle Club", "2024-05-01",
        "https://example.org/bike", "club newsletter")
    assert "title:" not in " ".join(b.text for b in doc.blocks)  # front matter is not text
    cleaned = clean(doc)
    assert [b.text for b in cleaned.blocks if b.kind == "heading"] == [
        "Tyres and Brakes", "The Chain"]  # the title heading moved to the source record
    assert [b.text for b in cleaned.blocks if b.kind == "item"] == [
        "replace the pads when the grooves disappear", "clean the rims after wet rides"]
    paragraph = next(b for b in cleaned.blocks if b.text.startswith("Check"))
    assert paragraph.text == ("Check the tyre pressure every week with a gauge. Soft tyres wear "
                              "quickly and make the ride slow.")  # markup removed, lines joined
    assert paragraph.section == "Tyres and Brakes"
    chain = next(b for b in cleaned.blocks if b.text.startswith("A clean chain"))
    assert chain.section == "The Chain"


def test_html_is_converted_with_headings_items_and_debris_dropped(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"kettle.html": HTML})
    doc = by_id(folder)["kettle"]
    assert doc.source.title == "Descaling a Kettle"  # from its first heading
    cleaned = clean(doc)
    assert [(b.text, b.kind) for b in cleaned.blocks] == [
        ("Why Scale Forms", "heading"),
        ("Hard water leaves a chalky layer inside the kettle every time it boils. "
         "The layer slows heating.", "paragraph"),
        ("It flakes into drinks", "item"), ("It wastes energy", "item"),
        ("Removing It", "heading"),
        ("Fill the kettle halfway with vinegar and water and let it stand.", "paragraph"),
    ]
    assert cleaned.blocks[-1].section == "Removing It"


def test_pdf_text_and_manifest_metadata(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "kettle.pdf").write_bytes(make_pdf(PDF_LINES))
    write_corpus(folder, {}, [{"file": "kettle.pdf", "id": "kettle-pdf",
                               "title": "Descaling a Kettle", "publisher": "Test Kitchen",
                               "date": 2023}])
    doc = by_id(folder)["kettle-pdf"]
    assert (doc.source.title, doc.source.publisher, doc.source.date, doc.source.path) == (
        "Descaling a Kettle", "Test Kitchen", "2023", "kettle.pdf")
    text = " ".join(b.text for b in doc.blocks)
    # wrapped lines of one paragraph are joined; list lines stay items
    assert ("Hard water leaves a chalky layer inside the kettle every time it boils. "
            "The layer slows heating and flakes into drinks.") in text
    assert [b.text for b in doc.blocks if b.kind == "item"] == [
        "vinegar and water in equal parts", "an hour of soaking"]
    assert doc.blocks[-1].text == "Rinse the kettle twice with clean water before using it again."
    cleaned = clean(doc)
    for chunk in chunk_corpus([cleaned]):
        assert cleaned.text[chunk.passage.start:chunk.passage.end] == chunk.passage.text


def test_pdf_headings_are_recognised(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "kettle.pdf").write_bytes(make_pdf(PDF_LINES))
    write_corpus(folder, {}, [{"file": "kettle.pdf", "title": "Descaling a Kettle"}])
    cleaned = clean(load_corpus(folder)[0])
    assert [b.text for b in cleaned.blocks if b.kind == "heading"] == ["Why Scale Forms"]
    assert all(b.section == "Why Scale Forms" for b in cleaned.blocks)


def test_pdf_headings_in_a_larger_font_need_no_gap(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    lines = ["# Why Scale Forms", "Hard water leaves a chalky layer inside the kettle",
             "every time it boils", "# Removing It",
             "Fill the kettle halfway with vinegar and water and let it stand."]
    (folder / "kettle.pdf").write_bytes(make_pdf(lines))
    write_corpus(folder, {}, [{"file": "kettle.pdf", "title": "Descaling a Kettle"}])
    cleaned = clean(load_corpus(folder)[0])
    assert [(b.text, b.kind) for b in cleaned.blocks] == [
        ("Why Scale Forms", "heading"),
        ("Hard water leaves a chalky layer inside the kettle every time it boils", "paragraph"),
        ("Removing It", "heading"),
        ("Fill the kettle halfway with vinegar and water and let it stand.", "paragraph")]


def test_manifest_overrides_front_matter_and_title_falls_back_to_topic(tmp_path: Path) -> None:
    folder = write_corpus(
        tmp_path / "c",
        {"a.md": MARKDOWN, "b.txt": "Some plain words here.\n"},
        [{"file": "a.md", "id": "bikes", "publisher": "Manifest Publisher"},
         {"file": "b.txt", "topic": "plain words"}],
    )
    docs = by_id(folder)
    assert docs["bikes"].source.publisher == "Manifest Publisher"
    assert docs["bikes"].source.author == "Sam Rider"  # front matter fills the rest
    assert docs["b"].source.title == "Untitled article (topic: plain words)"


def test_manifest_entry_for_a_missing_file_raises(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"a.txt": "Words.\n"},
                          [{"file": "a.txt"}, {"file": "gone.txt", "title": "Gone"}])
    with pytest.raises(CorpusError, match="gone.txt"):
        load_corpus(folder)


def test_manifest_entry_without_file_raises(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"a.txt": "Words.\n"}, [{"title": "No file"}])
    with pytest.raises(CorpusError, match="'file'"):
        load_corpus(folder)


def test_duplicate_ids_missing_and_empty_folders_raise(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "dup", {"a.txt": "One.\n", "b.txt": "Two.\n"},
                          [{"file": "a.txt", "id": "same"}, {"file": "b.txt", "id": "same"}])
    with pytest.raises(CorpusError, match="duplicate document id"):
        load_corpus(folder)
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(tmp_path / "nowhere")
    empty = write_corpus(tmp_path / "empty", {"notes.csv": "a,b\n", "README.md": "# Readme\n"})
    with pytest.raises(CorpusError, match="no documents"):
        load_corpus(empty)


def test_files_are_read_in_name_order_and_unsupported_ignored(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"b.txt": "Bee.\n", "a.md": "Ay.\n",
                                           "c.docx": "x", ".hidden.txt": "Hidden.\n"})
    assert [d.source.id for d in load_corpus(folder)] == ["a", "b"]


def test_default_corpus_sources_match_the_manifest() -> None:
    from knowledge.settings import DEFAULT_LIBRARY

    docs = by_id(DEFAULT_LIBRARY)
    assert list(docs) == ["nervous-system-role", "nervous-system-connection",
                          "acupuncture-persistent-pain", "neuroplastic-pain",
                          "neuroplasticity-back-pain"]
    assert docs["neuroplastic-pain"].source.title == (
        "Untitled article (topic: neuroplastic pain)")
    assert docs["neuroplasticity-back-pain"].source.date == "2026-01-30"
    assert all(d.source.url is None for d in docs.values())
    assert {i: d.source.sells for i, d in docs.items()} == {
        "nervous-system-role": "acupuncture",
        "nervous-system-connection": "products through affiliate links",
        "acupuncture-persistent-pain": None,
        "neuroplastic-pain": None,
        "neuroplasticity-back-pain": "chiropractic care"}


def test_sells_is_text_or_null_and_anything_else_stops_the_build(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "c", {"a.txt": "One.\n", "b.txt": "Two.\n"},
                          [{"file": "a.txt", "sells": " acupuncture "},
                           {"file": "b.txt", "sells": False}])
    assert [d.source.sells for d in load_corpus(folder)] == ["acupuncture", None]
    for bad in ("", 3, ["acupuncture"]):
        folder = write_corpus(tmp_path / f"bad{bad!r}", {"a.txt": "One.\n"},
                              [{"file": "a.txt", "sells": bad}])
        with pytest.raises(CorpusError, match="'sells'"):
            load_corpus(folder)


def test_html_page_furniture_is_dropped_before_conversion(tmp_path: Path) -> None:
    page = ("<html><body><nav><a href='/'>Home</a> <a href='/shop'>Shop</a></nav>"
            "<header>Kettle Club</header><h1>Descaling a Kettle</h1>"
            "<p>Hard water leaves a chalky layer inside the kettle.</p>"
            "<aside>Subscribe to our newsletter</aside><form>Your email</form>"
            "<script>track()</script><footer>Copyright Kettle Club</footer></body></html>")
    folder = write_corpus(tmp_path / "c", {"page.html": page})
    cleaned = clean(by_id(folder)["page"])
    assert [b.text for b in cleaned.blocks] == [
        "Hard water leaves a chalky layer inside the kettle."]


def test_running_headers_and_footers_of_a_printed_page_are_dropped() -> None:
    from knowledge.documents import _without_running_lines

    def page(n: int, body: list[str]) -> list[tuple[str, float, float]]:
        lines = ["11/29/26, 4:21 AM Descaling a Kettle | Test Kitchen", *body,
                 f"file:///home/kettle.html {n}/3"]
        return [(text, 800.0 - 20 * i, 12.0) for i, text in enumerate(lines)]

    pages = [page(1, ["Hard water leaves scale.", "Scale slows heating."]),
             page(2, ["Vinegar removes it.", "Rinse twice."]),
             page(3, ["Boil once more.", "Hard water leaves scale."])]
    kept = [[text for text, _, _ in lines] for lines in _without_running_lines(pages)]
    assert kept == [["Hard water leaves scale.", "Scale slows heating."],
                    ["Vinegar removes it.", "Rinse twice."],
                    ["Boil once more.", "Hard water leaves scale."]]
    one = [page(1, ["Only page."])]
    assert _without_running_lines(one) == one  # a single page has nothing to compare
