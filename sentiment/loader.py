"""Pick a scoring backend by name.

Plain values in, so the model layer depends on nothing of the bot's: the
runtime (``bot.app``, ``bot.sentiment_cli``, the demo) reads its config and
passes the backend, model and batch size here."""

from __future__ import annotations

from pathlib import Path

from sentiment.scoring import Scorer


def load(backend: str, model: str | None = None, batch_size: int = 64) -> Scorer:
    """``onnx``: the shipped int8 models (English, and Chinese routed to its own), or an exported one
    at ``model``;
    ``transformers``: a Hugging Face model id or local path (needs the hf extra)."""
    if backend == "transformers":
        if not model:
            raise ValueError("the transformers backend needs a model: a Hugging Face model id or local path")
        from sentiment.hf_backend import TransformersBackend

        return Scorer(TransformersBackend(model), batch_size)
    if backend != "onnx":
        raise ValueError(f"unknown sentiment backend {backend!r}; use onnx or transformers")
    from sentiment.onnx_backend import SHIPPED, shipped_scorer

    return shipped_scorer(Path(model) if model else SHIPPED, batch_size)
