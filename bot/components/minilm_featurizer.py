"""Dense sentence features for the intent classifier: all-MiniLM-L6-v2 in onnxruntime.

The same MiniLM weights the library and the safety screen use, read from the export
that ``make index`` leaves in ``knowledge/model-cache`` (``knowledge.embedding``;
nothing is fetched), turn each message into one normalised 384-number sentence
vector. DIETClassifier reads it beside the word and character counts, so an intent does
not hinge on sharing words with its training examples. No sequence features: the
counts keep those. The model loads when the component is created, so a missing export
stops training and serving with a clear error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

BATCH = 64


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a MiniLM sentence vector to each message's text."""

    def __init__(self, config: dict[str, Any], name: str, embedder: Any) -> None:
        super().__init__(name, config)
        self.embedder = embedder

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MiniLMFeaturizer:
        """Creates the component with the exported model, loaded now."""
        from knowledge.embedding import OnnxMiniLM, installed_export

        return cls(config, execution_context.node_name, OnnxMiniLM(installed_export()).ready())

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to validate: the component has no settings of its own."""

    def vectors(self, texts: list[str]) -> np.ndarray:
        """One normalised sentence vector per text, shape (len(texts), 384)."""
        return np.asarray(self.embedder.encode(texts, batch_size=BATCH), dtype=np.float32)

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the sentence features to every message that has text."""
        with_text = [m for m in messages if (m.get(TEXT) or "").strip()]
        if with_text:
            for message, vector in zip(with_text, self.vectors([m.get(TEXT) for m in with_text]),
                                       strict=True):
                self.add_features_to_message(None, vector[None, :], TEXT, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Adds the sentence features to the training examples, in place."""
        self.process(training_data.training_examples)
        return training_data
