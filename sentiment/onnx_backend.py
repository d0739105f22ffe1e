"""The shipped model through ONNX Runtime: no torch needed at run time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from sentiment.scoring import Scorer, softmax
from sentiment.truncate import head_tail

SHIPPED = Path(__file__).resolve().parent / "model"
SUB_BATCH = 8


def padded_chunks(encoded: list[list[int]], size: int = SUB_BATCH) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
    """Length-sorted sub-batches, each padded only to its own longest text
    (padding a whole batch to its longest tweet wastes over half the work).
    Yields (row indices, ids, attention mask)."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    for start in range(0, len(order), size):
        rows = order[start : start + size]
        width = max(len(encoded[i]) for i in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for row, i in enumerate(rows):
            ids[row, : len(encoded[i])] = encoded[i]
            mask[row, : len(encoded[i])] = 1
        yield rows, ids, mask


class OnnxBackend:
    def __init__(self, model_dir: Path = SHIPPED, model_file: Path | None = None, threads: int = 0) -> None:
        info = json.loads((model_dir / "model_info.json").read_text())
        self.version: str = info["version"]
        self.languages: frozenset[str] | None = frozenset(info["languages"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.max_length: int = info["max_length"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        # Idle intra-op threads otherwise busy-wait for the next operator: on a small machine they
        # take the cores the event loop and the database need, and twice the CPU per text.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_file or model_dir / "model.onnx"), options,
                                            providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> list[list[int]]:
        return [head_tail(e.ids, self.max_length) for e in self.tokenizer.encode_batch(texts)]

    def probabilities(self, texts: list[str]) -> np.ndarray:
        probs = np.empty((len(texts), 3), dtype=np.float32)
        for rows, ids, mask in padded_chunks(self.encode(texts)):
            probs[rows] = softmax(self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0])
        return probs


def shipped_scorer(model_dir: Path = SHIPPED, batch_size: int = 64, threads: int = 0) -> Scorer:
    """The model in ``model_dir``, with the languages that its ``routes.json`` (when present) sends to
    the models in its subfolders: ``{"zh": "zh", "mixed": "zh"}``. The routes live in their own file
    so that exporting either model again leaves them be."""
    path = model_dir / "routes.json"
    named: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    routed = {sub: OnnxBackend(model_dir / sub, threads=threads) for sub in set(named.values())}
    routes = {language: routed[sub] for language, sub in named.items()}
    return Scorer(OnnxBackend(model_dir, threads=threads), batch_size, routes=routes)
