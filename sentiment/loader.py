"""Pick the backend named in config."""

from __future__ import annotations

from pathlib import Path

from handlers.config_model import SentimentSettings
from sentiment.scoring import Scorer


def load(settings: SentimentSettings) -> Scorer:
    if settings.backend == "transformers":
        if not settings.model:
            raise ValueError("sentiment.model must name a Hugging Face model id or path for the transformers backend")
        from sentiment.hf_backend import TransformersBackend

        return Scorer(TransformersBackend(settings.model), settings.batch_size)
    from sentiment.onnx_backend import SHIPPED, OnnxBackend

    return Scorer(OnnxBackend(Path(settings.model) if settings.model else SHIPPED), settings.batch_size)
