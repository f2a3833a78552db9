"""How the answerable decision transfers to another library:
``python -m knowledge eval --library DIR``.

``DIR`` holds a second library (``DIR/docs``: documents and their ``manifest.yml``) and
its settled questions (``DIR/questions.jsonl``: ``id``, ``text``, ``label`` one of
``new`` / ``default`` / ``treatment`` / ``none``, ``evidence`` quotes; see
``DIR/RULES.md``). Three libraries are built in a temporary folder with the served
embedder and searched with the served calibration: (a) the default library, (b) the
default plus ``DIR/docs``, (c) ``DIR/docs`` alone. For each: hit@3 (a passage holding the
evidence in the top three), answered with evidence (answerable, and an excerpt shows
it), answerable rate on the answerable questions, declined rate on the uncovered ones,
and the build time. Treatment questions are reported apart: declining them is the
bot's routing, not the library's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from knowledge.eval.evidence import overlaps

RESULTS_PATH = Path(__file__).with_name("library_results.json")  # _tune / _test / _all


@dataclass(frozen=True)
class Question:
    """A settled question of the second library."""

    id: str
    text: str
    label: str  # new | default | treatment | none
    evidence: list[dict]


def part_of(question_id: str) -> str:
    """``tune`` or ``test``: the half of the set a question is in (``RULES.md``)."""
    return "tune" if hashlib.sha1(question_id.encode()).hexdigest()[0] in "01234567" else "test"


def load_questions(folder: Path, part: str = "all") -> list[Question]:
    """The settled questions in ``folder/questions.jsonl`` (disputed ones are absent):
    one half (``tune``/``test``) or ``all``."""
    rows = [json.loads(line) for line in
            (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question(r["id"], r["text"], r["label"], r.get("evidence") or []) for r in rows
            if part == "all" or part_of(r["id"]) == part]


def answerable_in(config: str, question: Question) -> bool | None:
    """Whether ``question`` is answerable in library ``config`` (a, b or c); None for a
    treatment question (scored apart)."""
    if question.label == "treatment":
        return None
    return {"a": question.label == "default", "b": question.label in ("new", "default"),
            "c": question.label == "new"}[config]


def prepare_corpus(config: str, default: Path, extra: Path, into: Path) -> Path:
    """The corpus folder of ``config`` (copies, with one merged manifest)."""
    import yaml

    into.mkdir(parents=True)
    entries: list[dict] = []
    for folder in {"a": [default], "b": [default, extra], "c": [extra]}[config]:
        for path in folder.iterdir():
            if path.name == "manifest.yml":
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                entries += data.get("documents") or []
            elif path.is_file() and path.name.lower() != "readme.md":
                shutil.copy2(path, into / path.name)
    (into / "manifest.yml").write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True),
                                       encoding="utf-8")
    return into


def _rate(n: int, of: int) -> dict:
    return {"n": n, "of": of, "rate": round(n / of, 3) if of else None}


def score(retriever, questions: list[Question], config: str) -> dict:  # noqa: ANN001
    """The figures of one library (see the module docstring)."""
    answerable = [q for q in questions if answerable_in(config, q)]
    uncovered = [q for q in questions if answerable_in(config, q) is False]
    treatment = [q for q in questions if answerable_in(config, q) is None]
    results = {q.id: retriever.search(q.text, k=3) for q in questions}
    hit3 = sum(any(overlaps(h.passage.text, q.evidence) for h in results[q.id].hits)
               for q in answerable)
    with_evidence = sum(results[q.id].answerable and any(
        overlaps(h.excerpt.text, q.evidence) for h in results[q.id].hits) for q in answerable)
    return {
        "hit@3": _rate(hit3, len(answerable)),
        "answered_with_evidence": _rate(with_evidence, len(answerable)),
        "answerable_answered": _rate(sum(results[q.id].answerable for q in answerable),
                                     len(answerable)),
        "uncovered_declined": _rate(sum(not results[q.id].answerable for q in uncovered),
                                    len(uncovered)),
        "treatment_answered": _rate(sum(results[q.id].answerable for q in treatment),
                                    len(treatment)),
        "wrong": {
            "answerable_declined": [q.id for q in answerable if not results[q.id].answerable],
            "uncovered_answered": [q.id for q in uncovered if results[q.id].answerable]},
    }


def main(library_dir: Path, default_corpus: Path, out: Path | None = None,
         part: str = "test") -> int:
    from knowledge.embedding import MiniLMEmbedder
    from knowledge.index import build
    from knowledge.retriever import Retriever

    library_dir = Path(library_dir)
    questions = load_questions(library_dir, part)
    embedder = MiniLMEmbedder().ready()
    report: dict = {"library": str(library_dir), "part": part, "questions": len(questions),
                    "configs": {}}
    names = {"a": "default library", "b": "default + new documents", "c": "new documents alone"}
    with tempfile.TemporaryDirectory(prefix="library-eval-") as tmp:
        for config, name in names.items():
            corpus = prepare_corpus(config, Path(default_corpus), library_dir / "docs",
                             Path(tmp) / config / "corpus")
            started = time.perf_counter()
            build(corpus, Path(tmp) / config / "index", embedder)
            seconds = round(time.perf_counter() - started, 1)
            retriever = Retriever.open(Path(tmp) / config / "index", corpus, embedder)
            figures = {"name": name, "build_seconds": seconds,
                       "documents": len(retriever.index.sources),
                       **score(retriever, questions, config)}
            report["configs"][config] = figures
            print(f"({config}) {name}: {figures['documents']} documents, built in {seconds} s")
            for key in ("hit@3", "answered_with_evidence", "answerable_answered",
                        "uncovered_declined", "treatment_answered"):
                f = figures[key]
                print(f"    {key:24} {f['n']:>3}/{f['of']:<3} = {f['rate']}")
    target = out or RESULTS_PATH.with_name(f"library_results_{part}.json")
    target.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {target}")
    return 0
