"""Fixtures shared by the test packages: the library the suite brings (library_testkit.py).

Imports are inside the fixtures: the Rasa-side tests (``tests/bot``, in ``.venv-rasa``)
load this file too and never build an index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.library_testkit import IndexedLibrary


@pytest.fixture(scope="session")
def default_library(tmp_path_factory: pytest.TempPathFactory) -> IndexedLibrary:
    """The frozen default library (``knowledge/default_library``), indexed once per
    session into a temporary folder: never ``knowledge/index``."""
    from tests.library_testkit import DEFAULT_LIBRARY, build

    return build(DEFAULT_LIBRARY, tmp_path_factory.mktemp("default-library") / "index")
