"""The shipped model through ONNX Runtime: no torch needed at run time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from sentiment.scoring import softmax

SHIPPED = Path(__file__).resolve().parent / "model"
SUB_BATCH = 8


class OnnxBackend:
    def __init__(self, model_dir: Path = SHIPPED, model_file: Path | None = None, threads: int = 0) -> None:
        info = json.loads((model_dir / "model_info.json").read_text())
        self.version: str = info["version"]
        self.languages: frozenset[str] | None = frozenset(info["languages"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(info["max_length"])
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_file or model_dir / "model.onnx"), options,
                                            providers=["CPUExecutionProvider"])

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Run length-sorted sub-batches, each padded only to its own longest text
        (padding a whole batch to its longest tweet wastes over half the work)."""
        encoded = [e.ids for e in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        probs = np.empty((len(texts), 3), dtype=np.float32)
        for start in range(0, len(order), SUB_BATCH):
            chunk = order[start : start + SUB_BATCH]
            width = max(len(encoded[i]) for i in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = 1
            logits = self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
            probs[chunk] = softmax(logits)
        return probs
