"""bot.components.minilm_featurizer: one sentence vector per message text, from the
embedder it was given (a fake here; the real export is used by training and serving)."""

from __future__ import annotations

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.minilm_featurizer import MiniLMFeaturizer


class FakeEmbedder:
    """Vectors that depend on the text's length, so rows can be told apart."""

    dim = 4

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        return np.array([[len(t), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32)


def featurizer() -> MiniLMFeaturizer:
    return MiniLMFeaturizer(MiniLMFeaturizer.get_default_config(), "minilm", FakeEmbedder())


def test_each_text_gets_its_own_sentence_vector_and_no_sequence_features() -> None:
    short, long = Message(data={TEXT: "hi"}), Message(data={TEXT: "why does pain persist"})
    featurizer().process([short, long])
    for message, text in ((short, "hi"), (long, "why does pain persist")):
        sequence, sentence = message.get_dense_features(TEXT)
        assert sequence is None
        assert sentence.features.shape == (1, 4)
        assert sentence.features[0, 0] == len(text)


def test_messages_without_text_are_left_alone_and_training_data_is_featurized() -> None:
    empty = Message(data={TEXT: "  "})
    example = Message(data={TEXT: "hello there", "intent": "greet"})
    featurizer().process_training_data(TrainingData([empty, example]))
    assert empty.get_dense_features(TEXT) == (None, None)
    assert example.get_dense_features(TEXT)[1].features.shape == (1, 4)
