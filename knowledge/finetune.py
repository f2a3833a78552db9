"""The retrieval model: all-MiniLM-L6-v2 fine-tuned on patient questions.

The base model was trained on web text, where a question and its answer share words;
patients ask "why does my pain move around" of an article that says "different pain
locations". ``fine_tune`` teaches it that mapping from the training bank
(``knowledge/training/*.jsonl``: questions written blind from the default library,
``knowledge/default_library``, a frozen copy of the library the project ships; each
with the verbatim sentences that answer it), with in-batch negatives: each question is
pulled towards the passage that holds its evidence and the evidence sentence itself,
and away from the other passages and sentences of its batch. The result is exported
to ONNX like the base model (``embedding.export_onnx``) into a folder of the model
cache named for its fingerprint: the base package version, the bank, the default
library, the training settings and this file. ``make index`` trains it when that
folder is missing (a few minutes on two cores, once); nothing is downloaded.

The model is a product artefact, not a property of a clinic's library: it is always
trained against the shipped default library, and serves any library (see
``knowledge/README.md`` for how it did on a document it never saw).
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from knowledge.settings import DEFAULT_LIBRARY, REPO_ROOT

BANK_DIR = REPO_ROOT / "knowledge" / "training"
FOLDER_PREFIX = "retrieval-MiniLM-"
FINGERPRINT_FILE = "fingerprint.json"


@dataclass(frozen=True)
class TrainingSettings:
    """How the model is fine-tuned (chosen on the blind tuning conversations)."""

    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 2e-5
    scale: float = 20.0  # cosine similarities times this are the logits
    sentence_weight: float = 0.5  # the question-to-evidence-sentence loss, beside the passage one
    seed: int = 0
    threads: int = 2

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2 or not 0 < self.learning_rate < 1:
            raise ValueError(f"invalid fine-tuning settings: {self}")


SETTINGS = TrainingSettings()


@dataclass(frozen=True)
class Pair:
    """A bank question, the passage that holds its evidence, and the evidence."""

    question: str
    passage: int  # row in the passage list ``pairs`` was given
    evidence: str


def bank_files(bank_dir: Path = BANK_DIR) -> list[Path]:
    return sorted(Path(bank_dir).glob("*.jsonl"))


def read_bank(bank_dir: Path = BANK_DIR, exclude_docs: frozenset[str] = frozenset()
              ) -> list[dict]:
    """Every bank question (``text`` and ``evidence``: ``doc`` and ``quote`` items), less
    those whose evidence is all in ``exclude_docs``."""
    rows = []
    for path in bank_files(bank_dir):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                evidence = [e for e in row["evidence"] if e["doc"] not in exclude_docs]
                if evidence:
                    rows.append({**row, "evidence": evidence})
    return rows


def _plain(text: str) -> str:
    from knowledge.documents import normalise

    return " ".join(normalise(text).lower().split())


def pairs(bank: list[dict], passage_texts: list[str]) -> list[Pair]:
    """One pair per question and passage that contains one of its quotes (a quote
    found nowhere is skipped: the bank is checked against the library by its tests)."""
    plain = [_plain(t) for t in passage_texts]
    found: dict[tuple[str, int], Pair] = {}
    for row in bank:
        for item in row["evidence"]:
            quote = _plain(item["quote"])
            for i, text in enumerate(plain):
                if quote and quote in text:
                    found.setdefault((row["text"], i), Pair(row["text"], i, item["quote"]))
    return list(found.values())


def default_passages(corpus_dir: Path = DEFAULT_LIBRARY) -> list[str]:
    """The default library's content passages, as the index embeds them."""
    from knowledge.chunking import chunk_corpus
    from knowledge.index import clean_corpus, embedding_text

    return [embedding_text(c.passage) for c in chunk_corpus(clean_corpus(corpus_dir))
            if c.passage.kind == "content"]


def fingerprint(base_version: str, settings: TrainingSettings = SETTINGS,
                bank_dir: Path = BANK_DIR, corpus_dir: Path = DEFAULT_LIBRARY) -> str:
    """What the fine-tuned model is made from, hashed (16 hex digits)."""
    h = hashlib.sha256()
    h.update(base_version.encode())
    h.update(repr(settings).encode())
    h.update(Path(__file__).read_bytes())
    for path in bank_files(bank_dir) + sorted(Path(corpus_dir).glob("*")):
        if path.is_file():
            h.update(path.name.encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def _batches(items: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches in which no passage appears twice (a repeated passage would be
    a negative of its own question)."""
    pool = items[:]
    rng.shuffle(pool)
    batches = []
    while pool:
        batch, used, rest = [], set(), []
        for pair in pool:
            if len(batch) < size and pair.passage not in used:
                batch.append(pair)
                used.add(pair.passage)
            else:
                rest.append(pair)
        batches.append(batch)
        pool = rest
    return batches


def fine_tune(training: list[Pair], passage_texts: list[str], out: Path,
              settings: TrainingSettings = SETTINGS) -> Path:
    """Fine-tune the base model on ``training`` and export it to ``out`` (model.onnx,
    tokenizer.json); returns ``out``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tqdm import tqdm

    from knowledge.embedding import MAX_TOKENS, _offline, export_onnx, model_dir

    _offline()
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    rng = random.Random(settings.seed)
    model = SentenceTransformer(str(model_dir()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate)
    cross_entropy = torch.nn.functional.cross_entropy

    def embed(texts: list[str]):  # noqa: ANN202
        vectors = model(model.preprocess(texts))["sentence_embedding"]
        return torch.nn.functional.normalize(vectors, dim=1)

    model.train()
    plan = [_batches(training, settings.batch_size, rng) for _ in range(settings.epochs)]
    with tqdm(total=sum(map(len, plan)), desc="fine-tuning retrieval model",
              unit="batch") as bar:
        for batches in plan:
            for batch in batches:
                questions = embed([p.question for p in batch])
                passages = embed([passage_texts[p.passage] for p in batch])
                sentences = embed([p.evidence for p in batch])
                labels = torch.arange(len(batch))
                loss = (cross_entropy(settings.scale * questions @ passages.T, labels)
                        + settings.sentence_weight
                        * cross_entropy(settings.scale * questions @ sentences.T, labels))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
    model.eval()
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    model.save(str(staging / "weights"))
    export_onnx(staging, source=staging / "weights")
    shutil.rmtree(staging / "weights")
    return staging


def ensure(cache_dir: Path, base_version: str, exclude_docs: frozenset[str] = frozenset(),
           settings: TrainingSettings = SETTINGS) -> Path:
    """The fine-tuned export for the current bank and settings in ``cache_dir``,
    trained now if it is missing; older exports there are removed."""
    digest = fingerprint(base_version, settings)
    if exclude_docs:
        digest += "-without-" + "-".join(sorted(exclude_docs))
    folder = Path(cache_dir) / f"{FOLDER_PREFIX}{digest}"
    if (folder / FINGERPRINT_FILE).is_file():
        return folder
    passage_texts = default_passages()
    training = pairs(read_bank(exclude_docs=exclude_docs), passage_texts)
    if not training:
        raise ValueError(f"the training bank in {BANK_DIR} matches no passage of {DEFAULT_LIBRARY}")
    print(f"training the retrieval model on {len(training)} question-passage pairs "
           "(once; a few minutes)", file=sys.stderr)
    staging = fine_tune(training, passage_texts, folder, settings)
    (staging / FINGERPRINT_FILE).write_text(json.dumps(
        {"fingerprint": digest, "base": base_version, "pairs": len(training),
         "settings": repr(settings)}, indent=2), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    if not exclude_docs:  # earlier trainings of the served model are not needed any more
        for old in Path(cache_dir).glob(f"{FOLDER_PREFIX}*"):
            if old != folder and old.is_dir() and "-without-" not in old.name:
                shutil.rmtree(old, ignore_errors=True)
    return folder
