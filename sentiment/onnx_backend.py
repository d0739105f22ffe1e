"""The shipped model through ONNX Runtime: no torch needed at run time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from sentiment.scoring import softmax

SHIPPED = Path(__file__).resolve().parent / "model"


class OnnxBackend:
    def __init__(self, model_dir: Path = SHIPPED, model_file: Path | None = None, threads: int = 0) -> None:
        info = json.loads((model_dir / "model_info.json").read_text())
        self.version: str = info["version"]
        self.languages: frozenset[str] | None = frozenset(info["languages"])
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(info["max_length"])
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(model_file or model_dir / "model.onnx"), options,
                                            providers=["CPUExecutionProvider"])

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Batch sorted by length so padding stays small; results in input order."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        encoded = self.tokenizer.encode_batch([texts[i] for i in order])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        logits = self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        probs = np.empty_like(logits)
        probs[order] = softmax(logits)
        return probs
