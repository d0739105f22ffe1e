"""Extend the English word-piece vocabulary with Chinese characters.

all-MiniLM-L6-v2 maps about 60 % of Chinese characters to [UNK]. Its tokenizer
already splits Han characters into one token each, so adding the frequent ones
to the vocabulary (and new embedding rows to the model) lets one small encoder
read both languages.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def frequent_han(texts: Iterable[str], min_count: int) -> list[str]:
    """Han characters seen at least ``min_count`` times, most frequent first."""
    counts = Counter(ch for text in texts for ch in text if is_han(ch))
    return [ch for ch, n in counts.most_common() if n >= min_count]


def common_han(limit: int) -> list[str]:
    """The ``limit`` Han characters most used in jieba's dictionary (word frequencies summed per
    character): the characters in common use, so text from a domain the training data never saw
    is not read as [UNK]. jieba (MIT) ships the dictionary as package data."""
    import jieba

    weights: Counter[str] = Counter()
    dictionary = Path(jieba.__file__).parent / "dict.txt"
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split(" ")
        for ch in word:
            if is_han(ch):
                weights[ch] += int(freq)
    return [ch for ch, _ in weights.most_common(limit)]


def extend_tokenizer(src_dir: Path, dst_dir: Path, chars: list[str]) -> int:
    """Write tokenizer files to ``dst_dir`` with ``chars`` appended; return new size."""
    spec = json.loads((src_dir / "tokenizer.json").read_text(encoding="utf-8"))
    vocab: dict[str, int] = spec["model"]["vocab"]
    lines = (src_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
    for ch in chars:
        if ch not in vocab:
            vocab[ch] = len(vocab)
            lines.append(ch)
    dst_dir.mkdir(parents=True, exist_ok=True)
    (dst_dir / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    (dst_dir / "vocab.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        (dst_dir / name).write_text((src_dir / name).read_text(encoding="utf-8"), encoding="utf-8")
    return len(vocab)
