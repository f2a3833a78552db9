"""``python -m knowledge``: build, rebuild only when stale, search for people and machines.

The round trip runs the real command in a subprocess with the real model (offline);
the staleness paths run ``main`` in-process with the fake embedder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge.cli import main
from knowledge.confidence import UNCALIBRATED
from knowledge.settings import DEFAULT_LIBRARY
from tests.knowledge.knowledge_testkit import REPO, FakeEmbedder

HIT_KEYS = {"passage_id", "excerpt", "passage", "source", "score"}
SOURCE_KEYS = {"id", "title", "publisher", "author", "kind", "date", "url"}


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false"}


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "knowledge", *args], cwd=REPO, env=_env(),
                          input=stdin, capture_output=True, text=True, timeout=300)


def run_together(commands: dict[str, tuple[list[str], str | None]]) -> dict[str, tuple]:
    """Run several commands at once (each loads the model: ~10 s); (rc, stdout, stderr)."""
    procs = {name: subprocess.Popen([sys.executable, "-m", "knowledge", *args], cwd=REPO,
                                    env=_env(), text=True, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, stdin=subprocess.PIPE)
             for name, (args, _) in commands.items()}
    results = {}
    for name, proc in procs.items():
        try:
            out, err = proc.communicate(commands[name][1], timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
        results[name] = (proc.returncode, out, err)
    return results


def check_result(data: dict, query: str) -> None:
    assert data["query"] == query
    assert isinstance(data["answerable"], bool)
    assert 0.0 <= data["confidence"] <= 1.0
    assert 1 <= len(data["hits"]) <= 3
    for hit in data["hits"]:
        assert set(hit) >= HIT_KEYS
        assert hit["excerpt"] in hit["passage"]
        assert set(hit["source"]) >= SOURCE_KEYS
        assert hit["passage_id"].startswith(hit["source"]["id"] + "#")


@pytest.fixture(scope="module")
def small_library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two documents of the default library with their manifest entries, in a temp folder."""
    corpus = tmp_path_factory.mktemp("cli-corpus")
    manifest = yaml.safe_load((DEFAULT_LIBRARY / "manifest.yml").read_text(encoding="utf-8"))
    keep = [e for e in manifest["documents"]
            if e["id"] in {"nervous-system-connection", "neuroplastic-pain"}]
    for entry in keep:
        shutil.copy(DEFAULT_LIBRARY / entry["file"], corpus / entry["file"])
    (corpus / "manifest.yml").write_text(yaml.safe_dump({"documents": keep}, allow_unicode=True),
                                         encoding="utf-8")
    return corpus, tmp_path_factory.mktemp("cli-index") / "index"


@pytest.fixture(scope="module")
def built(small_library) -> tuple[Path, Path]:
    corpus, index = small_library
    proc = run("--index", str(index), "--corpus", str(corpus), "build")
    assert proc.returncode == 0, proc.stderr
    assert "built" in proc.stdout and "from 2 documents" in proc.stdout
    assert (index / "manifest.json").exists()
    return corpus, index


QUERIES = ["what is central sensitisation?", "what is the weather tomorrow?"]


@pytest.fixture(scope="module")
def searched(built) -> dict[str, tuple]:
    corpus, index = built
    where = ["--index", str(index), "--corpus", str(corpus)]
    return run_together({
        "up_to_date": ([*where, "build", "--if-stale"], None),
        "human": ([*where, "search", QUERIES[0]], None),
        "json": ([*where, "search", "why does pain persist after healing?", "--json"], None),
        "stdin": ([*where, "search", "-", "-k", "2"], "\n".join(QUERIES) + "\n\n"),
    })


def test_build_if_stale_says_up_to_date(searched) -> None:
    rc, out, err = searched["up_to_date"]
    assert rc == 0, err
    assert "up to date" in out


def test_search_prints_numbered_citations(searched) -> None:
    rc, out, err = searched["human"]
    assert rc == 0, err
    assert "[1]" in out and "[3]" in out and "[4]" not in out
    assert "“" in out and "passage " in out
    assert "The Nervous System and Chronic Pain: What’s the Connection?" in out


def test_search_json(searched) -> None:
    rc, out, err = searched["json"]
    assert rc == 0, err
    check_result(json.loads(out), "why does pain persist after healing?")


def test_search_reads_queries_from_stdin_as_json_lines(searched) -> None:
    rc, out, err = searched["stdin"]
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 2
    results = [json.loads(line) for line in lines]
    for data, query in zip(results, QUERIES, strict=True):
        check_result(data, query)
        assert len(data["hits"]) == 2
    assert results[0]["answerable"] and not results[1]["answerable"]


# ---- in-process, fake embedder ---------------------------------------------------------
@pytest.fixture
def fake_cli(monkeypatch, tiny_corpus, tmp_path):
    monkeypatch.setattr("knowledge.cli._embedder", lambda progress=False: FakeEmbedder())
    # the shipped calibration belongs to the real model's 384-dimensional embeddings
    monkeypatch.setattr("knowledge.retriever.load_calibration", lambda: UNCALIBRATED)
    index = tmp_path / "index"
    return ["--index", str(index), "--corpus", str(tiny_corpus)], tiny_corpus, index


def test_build_if_stale_rebuilds_only_when_something_changed(fake_cli, capsys) -> None:
    args, corpus, index = fake_cli
    assert main([*args, "build", "--if-stale"]) == 0
    out = capsys.readouterr().out
    assert "rebuilding index: no index" in out and "built" in out
    assert main([*args, "build", "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().out
    (corpus / "tea.txt").write_text("Tea is brewed for three minutes in hot water.\n",
                                    encoding="utf-8")
    assert main([*args, "build", "--if-stale"]) == 0
    out = capsys.readouterr().out
    assert "rebuilding index: corpus changed" in out and "from 4 documents" in out
    assert main([*args, "build", "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_search_on_a_stale_index_fails_with_a_clear_message(fake_cli, capsys) -> None:
    args, corpus, index = fake_cli
    assert main([*args, "build"]) == 0
    (corpus / "kettle.txt").unlink()
    capsys.readouterr()
    assert main([*args, "search", "kettle"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "corpus changed" in err and "Traceback" not in err


def test_a_broken_manifest_fails_with_a_clear_message(fake_cli, capsys) -> None:
    args, corpus, index = fake_cli
    (corpus / "kettle.txt").unlink()
    assert main([*args, "build"]) == 2
    assert "missing files" in capsys.readouterr().err


def test_topics_lists_the_section_headings(fake_cli, capsys) -> None:
    args, _, _ = fake_cli
    assert main([*args, "build"]) == 0
    capsys.readouterr()
    assert main([*args, "topics"]) == 0
    topics = capsys.readouterr().out.splitlines()
    assert "- Shaping the Loaf" in topics and "- The Chain" in topics
