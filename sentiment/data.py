"""Readers for the labelled sets in ``../shared/data/sentiment``.

Only training and evaluation read these files; the bot never does. The Chinese
review sets have no official validation split, so a fixed, seeded 10 % hold-out
per file is carved here and used the same way by training and evaluation.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "sentiment"
CHINESE_FILES = ("waimai_10k.csv", "online_shopping_9_cats.csv")
HOLDOUT_SEED = 20261122
HOLDOUT_FRACTION = 0.1


@dataclass(frozen=True)
class Example:
    """One labelled text; ``binary`` marks sets without a neutral class."""

    text: str
    label: int
    binary: bool = False
    # Where a review comes from ("waimai" or an online-shopping category): leave-one-domain-out
    # validation holds one out.
    domain: str = ""


def read_lines(text_file: Path, label_file: Path) -> list[Example]:
    """Read a one-text-per-line file with a parallel 0/1/2 label file."""
    texts = text_file.read_text(encoding="utf-8").splitlines()
    labels = label_file.read_text(encoding="utf-8").splitlines()
    if len(texts) != len(labels):
        raise ValueError(f"{text_file} has {len(texts)} lines but {label_file} has {len(labels)}")
    return [Example(t, int(lab)) for t, lab in zip(texts, labels, strict=True)]


def semeval_train(root: Path = DEFAULT_ROOT) -> list[Example]:
    return read_lines(root / "semeval/train_text.txt", root / "semeval/train_labels.txt")


def tweeteval_val(root: Path = DEFAULT_ROOT) -> list[Example]:
    return read_lines(root / "tweeteval/val_text.txt", root / "tweeteval/val_labels.txt")


def multilingual_val(language: str, root: Path = DEFAULT_ROOT) -> list[Example]:
    base = root / "multilingual" / language
    return read_lines(base / "val_text.txt", base / "val_labels.txt")


def _chinese_rows(path: Path) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if (r.get("review") or "").strip()]
    return [Example(r["review"], 2 if r["label"] == "1" else 0, binary=True, domain=r.get("cat") or path.stem)
            for r in rows]


def chinese_domains(root: Path = DEFAULT_ROOT) -> dict[str, list[Example]]:
    """Every Chinese review by domain (the hold-out split does not apply: a held-out domain is unseen)."""
    domains: dict[str, list[Example]] = {}
    for name in CHINESE_FILES:
        for example in _chinese_rows(root / "chinese" / name):
            domains.setdefault(example.domain, []).append(example)
    return domains


def chinese_split(root: Path = DEFAULT_ROOT) -> tuple[list[Example], list[Example]]:
    """Return (train, validation) over both Chinese review sets, seeded."""
    train: list[Example] = []
    val: list[Example] = []
    for name in CHINESE_FILES:
        rows = _chinese_rows(root / "chinese" / name)
        random.Random(f"{HOLDOUT_SEED}:{name}").shuffle(rows)
        cut = int(len(rows) * HOLDOUT_FRACTION)
        val.extend(rows[:cut])
        train.extend(rows[cut:])
    return train, val
