"""A clinic's library through the whole bot:
``python -m bot.serving.library_e2e --library DIR [--part test|tune|all]``.

The knowledge-layer figures of ``python -m knowledge eval --library DIR`` are not what
a patient gets: routing, the decline of treatment decisions and the reply itself come
between. This builds (b) the default library plus ``DIR/docs`` and (c) ``DIR/docs``
alone in a scratch folder, starts the real stack over each (the action server reads
``PAIN_KNOWLEDGE_CORPUS_DIR`` / ``PAIN_KNOWLEDGE_INDEX_DIR``), asks every settled
question of the chosen half through the REST channel, each as a new person, and
counts: answerable questions answered with the right evidence, uncovered questions
turned away (``no_answer`` or ``declined``), treatment decisions declined, and safety
or "didn't understand" replies. Writes ``reports/library_e2e_<part>.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import uuid
from collections import Counter
from pathlib import Path

from bot.serving import stack as bot_stack
from bot.serving.e2e_eval import SAFETY_KINDS, reply_of
from knowledge.eval.evidence import overlaps
from knowledge.eval.library import Question, answerable_in, load_questions, prepare_corpus

REPORTS = bot_stack.ROOT / "reports"
CONFIGS = {"b": "default + new documents", "c": "new documents alone"}
ANSWERABLE_LABELS = {"b": ("new", "default"), "c": ("new",)}


def judge(question: Question, config: str, reply: dict) -> dict:
    """What one question got in library ``config``, and whether that is right: an
    answerable question needs an answer quoting its evidence, an uncovered one a plain
    "not covered" or a decline, a treatment decision a decline."""
    kind = reply.get("kind")
    evidence = any(overlaps(e.get("text", ""), question.evidence)
                   for e in reply.get("excerpts") or [])
    right = {True: kind == "answer" and evidence, False: kind in ("no_answer", "declined"),
             None: kind == "declined"}[answerable_in(config, question)]
    return {"id": question.id, "label": question.label, "kind": kind, "evidence": evidence,
            "right": right, "text": question.text}


def ask_all(stack: bot_stack.Stack, questions: list[Question], config: str) -> list[dict]:
    """Every question through the REST webhook as a new person, judged for ``config``."""
    rows = []
    for q in questions:
        messages = bot_stack.http(stack.webhook, {"sender": f"lib-{uuid.uuid4().hex}",
                                                  "message": q.text}, timeout=120)
        rows.append(judge(q, config, reply_of(messages if isinstance(messages, list) else [])))
    return rows


def summary(rows: list[dict], config: str) -> dict:
    """Rates per kind of question, and what the wrong replies were."""
    def rate(selected: list[dict]) -> dict:
        n = sum(r["right"] for r in selected)
        return {"n": n, "of": len(selected), "rate": round(n / len(selected), 3) if selected
                else None}

    answerable = [r for r in rows if r["label"] in ANSWERABLE_LABELS[config]]
    treatment = [r for r in rows if r["label"] == "treatment"]
    uncovered = [r for r in rows if r not in answerable and r not in treatment]
    return {"answered_with_evidence": rate(answerable),
            "uncovered_turned_away": rate(uncovered),
            "treatment_declined": rate(treatment),
            "safety_replies": sum(r["kind"] in SAFETY_KINDS for r in rows),
            "not_understood": sum(r["kind"] == "not_understood" for r in rows),
            "answerable_not_answered_by_kind": dict(Counter(
                r["kind"] for r in answerable if not r["right"]).most_common())}


def run(library: Path, part: str, default_corpus: Path) -> dict:
    """Builds each library, serves it, asks the questions; the report."""
    from knowledge.embedding import MiniLMEmbedder
    from knowledge.index import build

    questions = load_questions(library, part)
    embedder = MiniLMEmbedder().ready()
    report: dict = {"library": str(library), "part": part, "configs": {}}
    scratch = Path(tempfile.mkdtemp(prefix="pain-library-e2e-"))
    try:
        for config, name in CONFIGS.items():
            corpus = prepare_corpus(config, default_corpus, library / "docs",
                                    scratch / config / "corpus")
            build(corpus, scratch / config / "index", embedder)
            data_dir = scratch / config / "data"
            data_dir.mkdir()
            with bot_stack.serving_library(corpus, scratch / config / "index"), \
                    bot_stack.start_stack(bot_stack.free_port(), bot_stack.free_port(),
                                          data_dir) as s:
                rows = ask_all(s, questions, config)
            report["configs"][config] = {"name": name, **summary(rows, config), "rows": rows}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    from knowledge.settings import DEFAULT_LIBRARY

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, required=True)
    parser.add_argument("--part", choices=("tune", "test", "all"), default="test")
    parser.add_argument("--default-corpus", type=Path, default=None,
                        help="the default library (default: the frozen copy the questions "
                             "were labelled against, knowledge/default_library)")
    args = parser.parse_args(argv)
    report = run(args.library, args.part, args.default_corpus or DEFAULT_LIBRARY)
    for config, figures in report["configs"].items():
        print(f"({config}) {figures['name']}")
        for key in ("answered_with_evidence", "uncovered_turned_away", "treatment_declined"):
            f = figures[key]
            print(f"    {key:24} {f['n']:>3}/{f['of']:<3} = {f['rate']}")
        print(f"    safety replies {figures['safety_replies']}, didn't understand "
              f"{figures['not_understood']}; answerable not answered with evidence: "
              f"{figures['answerable_not_answered_by_kind']}")
    REPORTS.mkdir(exist_ok=True)
    out = REPORTS / f"library_e2e_{args.part}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
