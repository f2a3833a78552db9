"""The process-wide library behind ``knowledge.search`` and friends."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.schema import SearchResult, Source

if TYPE_CHECKING:
    from knowledge.confidence import Calibration
    from knowledge.embedding import Embedder
    from knowledge.retriever import Retriever

logger = logging.getLogger(__name__)
RELOAD_CHECK_S = 2.0  # how often a request may look for a rebuilt index


class LiveLibrary:
    """A retriever over ``index_dir`` that follows rebuilds: when the index's manifest
    changes (``python -m knowledge build`` writes it last), the new index is loaded in a
    background thread and swapped in between requests; until then, and if it cannot be
    loaded (a build still running, a corpus changed again), the current one serves."""

    def __init__(self, index_dir: Path, corpus_dir: Path, embedder: Embedder,
                 check_every_s: float = RELOAD_CHECK_S,
                 calibration: Calibration | None = None) -> None:
        self.index_dir, self.corpus_dir, self.embedder = Path(index_dir), Path(corpus_dir), embedder
        self.check_every_s, self.calibration = check_every_s, calibration
        self._stamp = self._manifest_stamp()
        self.retriever = self._open()
        self._checked = time.monotonic()
        self._tried = self._stamp
        self._swap = threading.Lock()
        self._loading: threading.Thread | None = None

    def _open(self) -> Retriever:
        from knowledge.retriever import Retriever

        return Retriever.open(self.index_dir, self.corpus_dir, self.embedder,
                              calibration=self.calibration)

    def _manifest_stamp(self) -> str | None:
        """A hash of the manifest's bytes (a file time can repeat within a clock tick
        when two builds follow each other fast); None while there is none."""
        try:
            found = (self.index_dir / "manifest.json").read_bytes()
        except FileNotFoundError:
            return None  # no index, or a build under way
        return hashlib.sha1(found).hexdigest()

    def current(self) -> Retriever:
        """The retriever to use now; starts a reload when the index was rebuilt."""
        now = time.monotonic()
        if now - self._checked >= self.check_every_s:
            self._checked = now
            stamp = self._manifest_stamp()
            with self._swap:
                if stamp not in (None, self._tried) and self._loading is None:
                    self._tried = stamp
                    self._loading = threading.Thread(target=self._reload, args=(stamp,),
                                                     name="library-reload", daemon=True)
                    self._loading.start()
        return self.retriever

    def _reload(self, stamp: str) -> None:
        try:
            fresh = self._open()
        except Exception as error:  # noqa: BLE001 - any failure keeps the served library
            logger.warning("library: rebuilt index not loaded (%s); still serving the "
                           "previous one", type(error).__name__)
            fresh = None
        with self._swap:
            if fresh is not None:
                self.retriever, self._stamp = fresh, stamp
                logger.info("library: reloaded (%d passages)", len(fresh.index.passages))
            self._loading = None

    def wait(self, timeout_s: float = 30.0) -> None:
        """Block until a reload under way has finished (tests and scripts)."""
        loading = self._loading
        if loading is not None:
            loading.join(timeout_s)


_lock = threading.Lock()
_library: LiveLibrary | None = None
_fixed: Retriever | None = None


def get_retriever() -> Retriever:
    """The default retriever (settings' corpus and index): loaded on first use, then
    reloaded whenever the index is rebuilt (``LiveLibrary``)."""
    global _library
    with _lock:
        if _fixed is not None:
            return _fixed
        if _library is None:
            from knowledge.embedding import MiniLMEmbedder
            from knowledge.settings import load_settings

            settings = load_settings()
            _library = LiveLibrary(settings.index_dir, settings.corpus_dir, MiniLMEmbedder())
        library = _library
    return library.current()


def set_retriever(retriever: Retriever | None) -> None:
    """Serve ``retriever`` and nothing else (tests use a tiny corpus); None goes back to
    the settings' live library."""
    global _fixed, _library
    with _lock:
        _fixed, _library = retriever, None


def search(query: str, k: int = 3, context: str | None = None,
           exclude: Iterable[str] = (), seen: Iterable[str] = ()) -> SearchResult:
    """Best ``k`` passages with excerpts, a confidence and an answerable decision; a
    follow-up prefers passages not in ``seen`` (those just shown)."""
    return get_retriever().search(query, k=k, context=context, exclude=exclude, seen=seen)


def list_topics() -> list[str]:
    """Topics the library covers, from its section headings."""
    return get_retriever().topics()


def suggest_topics(query: str, n: int = 3) -> list[str]:
    """Covered topics closest to ``query``."""
    return get_retriever().suggest_topics(query, n)


def library_terms(query: str) -> list[str]:
    """Content terms of ``query`` that occur in the library (empty: nothing matches)."""
    return get_retriever().library_terms(query)


def missing_words(query: str) -> list[str]:
    """The words of ``query`` naming something the library never mentions (may be empty)."""
    return get_retriever().missing_words(query)


def missing_subject(query: str) -> list[str]:
    """The subject ``query`` names that the library never mentions ("what is CRPS" ->
    ["CRPS"]); empty unless the question's grammar names it as its subject."""
    return get_retriever().missing_subject(query)


def get_source(source_id: str) -> Source | None:
    """The source record for a document id, or None."""
    return get_retriever().index.sources.get(source_id)
