"""The libraries the test suite brings, so no test depends on the clinic's library.

``knowledge/corpus`` is the clinic's to change (``bot/settings.yml``,
``knowledge.corpus_dir``); tests about the default library's content use the frozen
copy ``knowledge/default_library`` instead, indexed into a temporary folder by the
same command as ``make index``, and point the knowledge layer (in this process and in
the servers it starts) at it through the settings' environment overrides.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.settings import DEFAULT_LIBRARY, REPO_ROOT

CORPUS_ENV, INDEX_ENV = "PAIN_KNOWLEDGE_CORPUS_DIR", "PAIN_KNOWLEDGE_INDEX_DIR"
BUILD_TIMEOUT_S = 600


@dataclass(frozen=True)
class IndexedLibrary:
    """A library folder and the index built from it."""

    corpus: Path
    index: Path

    @property
    def env(self) -> dict[str, str]:
        """The settings overrides that make the knowledge layer serve this library."""
        return {CORPUS_ENV: str(self.corpus), INDEX_ENV: str(self.index)}


def build(corpus: Path, index: Path) -> IndexedLibrary:
    """Index ``corpus`` into ``index`` with ``python -m knowledge build`` (what
    ``make index`` runs), in this interpreter (the knowledge layer's environment)."""
    subprocess.run([sys.executable, "-m", "knowledge", "--corpus", str(corpus), "--index",
                    str(index), "build"], cwd=REPO_ROOT, check=True, timeout=BUILD_TIMEOUT_S,
                   stdout=subprocess.DEVNULL,
                   env=dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1"))
    return IndexedLibrary(Path(corpus), Path(index))


def merged_library(out: Path, *extra: Path) -> Path:
    """A copy of the default library plus the documents of each folder in ``extra``
    (manifests concatenated; a folder's ``probe.yml`` is not a document)."""
    out.mkdir(parents=True)
    documents: list[dict[str, Any]] = []
    for folder in (DEFAULT_LIBRARY, *extra):
        manifest = folder / "manifest.yml"
        if manifest.exists():
            documents += (yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}).get(
                "documents", [])
        for path in folder.iterdir():
            if path.is_file() and path.name not in ("manifest.yml", "probe.yml"):
                shutil.copy2(path, out / path.name)
    (out / "manifest.yml").write_text(yaml.safe_dump({"documents": documents},
                                                     allow_unicode=True), encoding="utf-8")
    return out


def _forget_served_library() -> None:
    """Drop this process's loaded library (``knowledge.get_retriever`` reloads it from
    the settings on next use), if the knowledge layer is loaded at all."""
    api = sys.modules.get("knowledge.api")
    if api is not None:
        api.set_retriever(None)


@contextmanager
def serving(library: IndexedLibrary) -> Iterator[IndexedLibrary]:
    """Within the block, the settings name ``library``: this process's knowledge layer
    and every server started meanwhile (they inherit the environment) use it."""
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in library.env.items():
                patch.setenv(name, value)
            _forget_served_library()
            yield library
    finally:
        _forget_served_library()
