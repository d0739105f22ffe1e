"""Any Hugging Face sequence-classification model (id or local path) through
transformers; needs the ``hf`` extra (torch). Label names are mapped onto
negative / neutral / positive; a two-label model gets P(neutral) = 0."""

from __future__ import annotations

import numpy as np


def _column(name: str, index: int, count: int) -> int:
    lowered = name.lower()
    for column, key in enumerate(("neg", "neu", "pos")):
        if key in lowered:
            return column
    return (0, 2)[index] if count == 2 else index


class TransformersBackend:
    def __init__(self, model: str, max_length: int = 256) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.model = AutoModelForSequenceClassification.from_pretrained(model).eval()
        labels = self.model.config.id2label
        self.columns = [_column(labels[i], i, len(labels)) for i in range(len(labels))]
        self.max_length = max_length
        self.version = f"hf:{model}"
        self.languages: frozenset[str] | None = None

    def probabilities(self, texts: list[str]) -> np.ndarray:
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        with self._torch.no_grad():
            probs = self._torch.softmax(self.model(**batch).logits, dim=-1).numpy()
        out = np.zeros((len(texts), 3), dtype=np.float32)
        for source, column in enumerate(self.columns):
            out[:, column] += probs[:, source]
        return out
