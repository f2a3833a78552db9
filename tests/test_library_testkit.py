"""The suite brings its own library (issue 12): the tests about the default library's
content pass when the clinic's configured library is another one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from knowledge.settings import REPO_ROOT
from tests.library_testkit import build, merged_library

SECOND_LIBRARY = REPO_ROOT / "knowledge" / "eval" / "data" / "library2" / "docs"
# Tests that search the library the settings name, in-process, and expect the default
# library's content ("central sensitisation", acupuncture): before the suite brought its
# own library they searched the clinic's.
CONTENT_TESTS = ["tests/actions"]
TIMEOUT_S = 900


def test_the_default_library_tests_pass_with_another_clinic_library(tmp_path: Path) -> None:
    clinic = tmp_path / "clinic-corpus"
    shutil.copytree(SECOND_LIBRARY, clinic)  # Markdown, HTML and PDF, none of the default five
    installed = build(clinic, tmp_path / "clinic-index")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not integration",
         "--basetemp", str(tmp_path / "inner"), *CONTENT_TESTS],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=TIMEOUT_S,
        env=dict(os.environ, HF_HUB_OFFLINE="1", **installed.env))
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout, run.stdout[-2000:]


def test_merged_library_is_the_default_library_plus_the_extra_documents(tmp_path: Path) -> None:
    from knowledge.documents import load_corpus
    from knowledge.settings import DEFAULT_LIBRARY

    merged = merged_library(tmp_path / "merged", SECOND_LIBRARY)
    ids = {d.source.id for d in load_corpus(merged)}
    default = {d.source.id for d in load_corpus(DEFAULT_LIBRARY)}
    second = {d.source.id for d in load_corpus(SECOND_LIBRARY)}
    assert ids == default | second and not default & second

