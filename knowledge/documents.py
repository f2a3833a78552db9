"""Reading the library: files in a corpus folder become sources and raw blocks.

Plain text keeps one block per line. Markdown is parsed with markdown-it-py; HTML is
turned into Markdown with html2text first; PDF text comes from pypdf. Metadata comes
from ``manifest.yml`` in the corpus folder or from a file's YAML front matter; no
field is ever guessed beyond what the document itself states.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.schema import Source

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
MANIFEST = "manifest.yml"
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_BULLET = re.compile(r"^(?:[-*•▪◦‣]|\d{1,3}[.)])\s+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# typographic ligatures (PDFs set "ﬁrst", "diﬀerence"): spelt out, so words match
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl",
                            "ﬅ": "st", "ﬆ": "st"})
PARAGRAPH_GAP = 1.3  # a gap this many times the text's own line spacing ends a paragraph
RUNNING_LINES = 2  # lines at each end of a PDF page that may be a running header/footer
MAX_LINE_SPACING = 1.8  # times the font size: the widest line spacing taken as in-paragraph


class CorpusError(ValueError):
    """The corpus folder or one of its documents cannot be read as stated."""


@dataclass(frozen=True)
class Block:
    """One line-level unit of a document: a heading, a paragraph or a list item."""

    text: str
    kind: str = "paragraph"  # "heading" | "paragraph" | "item"


@dataclass(frozen=True)
class RawDocument:
    """A document as read from disk, before cleaning."""

    source: Source
    blocks: list[Block]
    raw: str
    # fragments of sentences in which the publisher promotes its own services
    # (manifest ``promotional``): never quoted as education
    promotional: tuple[str, ...] = ()


def normalise(text: str) -> str:
    """NFC, ligatures spelt out, odd spaces to plain spaces, runs of spaces collapsed,
    ends trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text).translate(_LIGATURES)).strip()


def _slug(stem: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "document"


def _load_manifest(folder: Path) -> dict[str, dict]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("documents") or []
    by_file: dict[str, dict] = {}
    for entry in entries:
        if not isinstance(entry, dict) or "file" not in entry:
            raise CorpusError(f"{path}: every document entry needs a 'file' field: {entry!r}")
        by_file[str(entry["file"])] = entry
    return by_file


def _split_front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise CorpusError("front matter must be a YAML mapping")
    return meta, text[match.end():]


def _text_blocks(text: str) -> list[Block]:
    """One block per non-empty line; bullets and numbered lines become items."""
    blocks = []
    for line in text.splitlines():
        line = normalise(line)
        if not line:
            continue
        if _BULLET.match(line):
            item = normalise(_BULLET.sub("", line, count=1))
            if item:
                blocks.append(Block(item, "item"))
        else:
            blocks.append(Block(line))
    return blocks


def _pdf_lines(page) -> list[tuple[str, float, float]]:  # noqa: ANN001 - a pypdf PageObject
    """(text, baseline height, font size) of each line pypdf extracts from ``page``."""
    lines: list[tuple[str, float, float]] = []
    parts: list[str] = []
    start: list[float] = []

    def close() -> None:
        if parts and "".join(parts).strip():
            lines.append(("".join(parts), *start))
        parts.clear()
        start.clear()

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        for piece in re.split(r"(\n)", text):
            if piece == "\n":
                close()
            elif piece:
                if not start:
                    scale = abs(tm[3] * cm[3]) or 1.0
                    start.extend([tm[4] * cm[1] + tm[5] * cm[3] + cm[5], size * scale])
                parts.append(piece)

    page.extract_text(visitor_text=visit)
    close()
    return lines


def _line_spacing(pages: list[list[tuple[str, float, float]]]) -> dict[float, float]:
    """Font size -> the usual distance between two lines of one paragraph in that size:
    the lower quartile of the gaps between consecutive lines of that size (most gaps
    are inside paragraphs; web pages printed to PDF often set 1.6-1.8 times the size)."""
    gaps: dict[float, list[float]] = {}
    for lines in pages:
        for (_, y0, s0), (_, y1, s1) in zip(lines, lines[1:], strict=False):
            if round(s0, 1) == round(s1, 1) and 0 < y0 - y1 < 3 * s0:
                gaps.setdefault(round(s0, 1), []).append(y0 - y1)
    # at most MAX_LINE_SPACING x the size: in a page of one-line paragraphs the quartile
    # is the paragraph gap itself
    return {size: min(sorted(found)[len(found) // 4], MAX_LINE_SPACING * size)
            for size, found in gaps.items()}


def _without_running_lines(pages: list[list[tuple[str, float, float]]]
                           ) -> list[list[tuple[str, float, float]]]:
    """The pages without their running headers and footers: a line among the first
    (last) ``RUNNING_LINES`` of a page that recurs, digits aside, among the first (last)
    lines of at least half the pages, and two: a browser's date, title, address and
    "3/8", a "Page 3 of 8"."""
    if len(pages) < 2:
        return pages

    def key(text: str) -> str:
        return re.sub(r"\d+", "#", normalise(text))

    tops = [lines[:RUNNING_LINES] for lines in pages]
    bottoms = [lines[-RUNNING_LINES:] for lines in pages]

    def running(ends: list[list[tuple[str, float, float]]]) -> set[str]:
        seen: dict[str, int] = {}
        for lines in ends:
            for found in {key(text) for text, _, _ in lines}:
                seen[found] = seen.get(found, 0) + 1
        return {k for k, n in seen.items() if n >= max(2, len(pages) / 2)}

    top_keys, bottom_keys = running(tops), running(bottoms)
    kept = []
    for lines, top, bottom in zip(pages, tops, bottoms, strict=True):
        drop = {id(line) for line in top if key(line[0]) in top_keys} | \
            {id(line) for line in bottom if key(line[0]) in bottom_keys}
        kept.append([line for line in lines if id(line) not in drop])
    return kept


def _pdf_blocks(path: Path) -> list[Block]:
    """PDF text joined into paragraphs.

    A paragraph ends at a gap between lines wider than the text's own line spacing
    (``PARAGRAPH_GAP`` times it), a change of font size (headings), a line ending a
    sentence, or a list line.
    """
    from pypdf import PdfReader

    pages = _without_running_lines([_pdf_lines(page) for page in PdfReader(str(path)).pages])
    spacing = _line_spacing(pages)
    blocks: list[Block] = []
    for lines in pages:
        paragraph: list[str] = []
        previous: tuple[float, float] | None = None
        for raw, y, size in lines + [("", 0.0, 0.0)]:
            line = normalise(raw)
            if previous is not None:
                usual = spacing.get(round(previous[1], 1), 1.2 * previous[1])
            gap = previous is not None and (
                not line or abs(previous[0] - y) > PARAGRAPH_GAP * max(usual, size)
                or abs(size - previous[1]) > 0.1 * max(size, previous[1]))
            if paragraph and gap:
                blocks.extend(_text_blocks(" ".join(paragraph)))
                paragraph = []
            previous = (y, size)
            if line and _BULLET.match(line):
                if paragraph:
                    blocks.extend(_text_blocks(" ".join(paragraph)))
                    paragraph = []
                blocks.extend(_text_blocks(line))
                continue
            if line:
                paragraph.append(line)
            if paragraph and line.endswith((".", "?", "!", ":")):
                blocks.extend(_text_blocks(" ".join(paragraph)))
                paragraph = []
    return blocks


def _markdown_blocks(text: str) -> list[Block]:
    """Headings, paragraphs and list items from Markdown, inline markup removed."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    blocks: list[Block] = []
    kind = "paragraph"
    depth_items = 0
    for tok in tokens:
        if tok.type == "heading_open":
            kind = "heading"
        elif tok.type == "list_item_open":
            depth_items += 1
        elif tok.type == "list_item_close":
            depth_items -= 1
        elif tok.type == "inline":
            parts = []
            for child in tok.children or []:
                if child.type in {"text", "code_inline"}:
                    parts.append(child.content)
                elif child.type in {"softbreak", "hardbreak"}:
                    parts.append(" ")
            line = normalise("".join(parts))
            if line:
                block_kind = kind if kind == "heading" else ("item" if depth_items else "paragraph")
                blocks.append(Block(line, block_kind))
            kind = "paragraph"
    return blocks


# Page furniture that never holds an article's content.
_HTML_FURNITURE = ("nav", "header", "footer", "aside", "form", "script", "style", "noscript")
ARTICLE_MIN_WORDS = 150  # a page's one <article> this long is taken as the whole document


def _html_to_markdown(html: str) -> str:
    """The article's Markdown: the page's one ``<article>`` when it has one of at least
    ``ARTICLE_MIN_WORDS`` words (cookie banners, share rows, "was this page helpful?" and
    newsletter boxes sit outside it), furniture elements removed (BeautifulSoup), then
    html2text."""
    import html2text
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(("script", "style", "noscript")):
        element.decompose()
    articles = soup.find_all("article")
    if len(articles) == 1 and len(articles[0].get_text(" ").split()) >= ARTICLE_MIN_WORDS:
        soup = BeautifulSoup(str(articles[0]), "html.parser")
    for element in soup.find_all(_HTML_FURNITURE):
        element.decompose()
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_links = True
    converter.ignore_emphasis = True
    return converter.handle(str(soup))


def read_blocks(path: Path, text: str | None) -> list[Block]:
    """The blocks of one file, by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _pdf_blocks(path)
    assert text is not None
    if suffix in {".md", ".markdown"}:
        return _markdown_blocks(text)
    if suffix in {".html", ".htm"}:
        return _markdown_blocks(_html_to_markdown(text))
    return _text_blocks(text)


def _sells(meta: dict, path: Path) -> str | None:
    """The manifest's ``sells``: a non-empty text, or null / false for "shows no sale"."""
    value = meta.get("sells")
    if value is None or value is False:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CorpusError(f"{path.name}: 'sells' names what the publisher sells (text) or is "
                          f"null, not {value!r}")
    return value.strip()


def _source(doc_id: str, meta: dict, path: Path, blocks: list[Block]) -> Source:
    title = meta.get("title")
    if not title and meta.get("topic"):
        title = f"Untitled article (topic: {meta['topic']})"
    if not title:
        heading = next((b.text for b in blocks if b.kind == "heading"), None)
        title = heading or f"Untitled document ({path.name})"
    date = meta.get("date")
    return Source(
        id=doc_id,
        title=str(title),
        publisher=meta.get("publisher"),
        author=meta.get("author"),
        kind=meta.get("kind"),
        date=str(date) if date is not None else None,
        url=meta.get("url"),
        path=path.name,
        sells=_sells(meta, path),
    )


def load_document(path: Path, entry: dict | None = None) -> RawDocument:
    """One file as read from disk, with its metadata: front matter, overridden by its
    manifest ``entry`` (when the file is in a corpus folder)."""
    if path.suffix.lower() == ".pdf":
        raw, meta, body = "", {}, None
    else:
        raw = path.read_text(encoding="utf-8")
        meta, body = _split_front_matter(raw)
    meta = {**meta, **(entry or {})}
    blocks = read_blocks(path, body)
    doc_id = str(meta.get("id") or _slug(path.stem))
    promotional = tuple(str(p) for p in meta.get("promotional") or ())
    return RawDocument(_source(doc_id, meta, path, blocks), blocks, raw, promotional)


def manifest_entry(path: Path) -> dict:
    """The manifest entry of ``path`` in its folder's manifest, or an empty one."""
    return _load_manifest(path.parent).get(path.name, {})


def load_corpus(folder: str | Path) -> list[RawDocument]:
    """Every supported document in ``folder``, in file-name order, with its source."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder}")
    manifest = _load_manifest(folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUPPORTED
                   and not p.name.startswith(".") and p.name.lower() != "readme.md")
    unknown = set(manifest) - {p.name for p in files}
    if unknown:
        raise CorpusError(f"{folder / MANIFEST} lists missing files: {sorted(unknown)}")
    documents, seen = [], set()
    for path in files:
        document = load_document(path, manifest.get(path.name, {}))
        if document.source.id in seen:
            raise CorpusError(f"duplicate document id {document.source.id!r} ({path.name})")
        seen.add(document.source.id)
        documents.append(document)
    if not documents:
        raise CorpusError(f"no documents in {folder} (supported: {sorted(SUPPORTED)})")
    return documents
