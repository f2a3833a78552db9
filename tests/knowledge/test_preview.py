"""knowledge.preview: how one document is cleaned and split, before it is added."""

from __future__ import annotations

from pathlib import Path

from knowledge.preview import dropped_blocks, preview
from tests.knowledge.knowledge_testkit import BICYCLE, write_corpus

PAGE = """<html><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/shop">Shop</a></li></ul></nav>
<h1>Looking After a Bicycle</h1>
<h2>Tyres and Brakes</h2>
<p>Check the tyre pressure every week with a gauge. Soft tyres wear quickly.</p>
<p>Brake pads wear down over time and should be replaced when the grooves disappear.</p>
<footer><p>Privacy policy</p></footer>
</body></html>
"""


def test_dropped_blocks_follow_the_raw_order_and_allow_a_cut_link() -> None:
    raw = ["Home", "Intro text. Visit our shop page", "Body", "Footer"]
    assert dropped_blocks(raw, ["Intro text.", "Body"]) == ["Home", "Footer"]
    menu = ["Back pain menu", "Back pain", "Text."]  # a dropped line that starts like a kept one
    assert dropped_blocks(menu, ["Back pain", "Text."]) == ["Back pain menu"]


def test_preview_shows_metadata_debris_dropped_and_the_passages(tmp_path: Path) -> None:
    folder = write_corpus(tmp_path / "corpus", {"bike.html": PAGE},
                          [{"file": "bike.html", "id": "bike", "publisher": "Bike Club"}])
    lines = preview(folder / "bike.html")
    text = "\n".join(lines)
    assert lines[0] == "bike.html: id 'bike'"
    assert "metadata missing: author, kind, date, url" in text  # publisher came from the manifest
    assert "Home" not in text and "Privacy" not in text  # menus and footer never become blocks
    assert "[1] section 'Tyres and Brakes'" in text
    assert "    · Check the tyre pressure every week with a gauge." in text


def test_preview_reads_a_file_outside_any_corpus_and_lists_what_cleaning_dropped(
        tmp_path: Path) -> None:
    path = tmp_path / "loose.txt"
    path.write_text("top of page\nSearch\n" + BICYCLE + "Comments\nbottom of page\n",
                    encoding="utf-8")
    text = "\n".join(preview(path))
    assert "id 'loose'" in text and "section 'The Chain'" in text
    assert "cleaning dropped 4:" in text
    assert "  - top of page" in text and "  - Comments" in text
