"""bot.serving.train: which files decide the model, and when it is retrained."""

from __future__ import annotations

from pathlib import Path

from bot.serving import train

PATHS = train.paths_from({})


def make_repo(root: Path) -> Path:
    files = {
        "config.yml": "pipeline: []\n",
        "bot/domain/core.yml": "version: '3.1'\n",
        "bot/nlu/chitchat.yml": "nlu: []\n",
        "stories/chitchat.yml": "rules: []\n",
        "bot/policies/custom.py": "X = 1\n",
        "bot/safety/patterns.yml": "crisis: []\n",
        "bot/policies/__pycache__/custom.cpython-310.pyc": "cache",
        "bot/web/widget.js": "ignored",
        "README.md": "ignored",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_inputs_are_the_rasa_data_and_bot_python(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    names = [str(p.relative_to(root)) for p in train.input_files(PATHS, root)]
    assert names == sorted([
        "config.yml", "bot/domain/core.yml", "bot/nlu/chitchat.yml",
        "stories/chitchat.yml", "bot/policies/custom.py", "bot/safety/patterns.yml",
    ])


def test_hash_follows_contents_only(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    before = train.inputs_hash(train.input_files(PATHS, root), root)
    (root / "bot/web/widget.js").write_text("changed, but not a model input")
    assert train.inputs_hash(train.input_files(PATHS, root), root) == before
    (root / "bot/nlu/chitchat.yml").write_text("nlu: [changed]\n")
    assert train.inputs_hash(train.input_files(PATHS, root), root) != before


def test_current_only_with_model_and_matching_hash(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    digest = train.inputs_hash(train.input_files(PATHS, root), root)
    assert not train.is_current(PATHS, digest, root)
    train.model_path(PATHS, root).parent.mkdir(parents=True)
    train.model_path(PATHS, root).write_bytes(b"model")
    assert not train.is_current(PATHS, digest, root)
    train.hash_path(PATHS, root).write_text(digest + "\n")
    assert train.is_current(PATHS, digest, root)
    assert not train.is_current(PATHS, "other", root)


def test_paths_come_from_the_makefile_environment() -> None:
    paths = train.paths_from({"RASA_DATA": "a b", "RASA_MODEL_NAME": "m"})
    command = train.train_command(paths)
    data = command.index("--data")
    assert command[data + 1: data + 3] == ["a", "b"]
    assert command[command.index("--fixed-model-name") + 1] == "m"
    assert command[command.index("--out") + 1] == "models"
