"""The hand-written challenge set: chat, negation and sarcasm, mixed-language and tiny replies.

In-domain validation figures overstate what a community gets; this set is
written to look like what members actually post, and each part is reported
on its own so a regression in (say) negation cannot hide behind the average.
The file is ``part<TAB>label<TAB>text`` with ``#`` comment lines and a header.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sentiment.evaluate import Evaluation, evaluate
from sentiment.labels import LABELS
from sentiment.scoring import Scorer


@dataclass(frozen=True)
class Item:
    part: str
    gold: int
    text: str


def load(path: Path) -> list[Item]:
    """Read the set; a malformed line names its line number."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.startswith("part\t"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or fields[1] not in LABELS:
            raise ValueError(f"{path}:{number}: expected part<TAB>negative|neutral|positive<TAB>text")
        items.append(Item(fields[0], LABELS.index(fields[1]), fields[2]))
    return items


def evaluate_parts(scorer: Scorer, items: Iterable[Item]) -> dict[str, Evaluation]:
    """One evaluation per part, and ``all`` over the whole set."""
    chosen = list(items)
    parts = {"all": chosen}
    for item in chosen:
        parts.setdefault(item.part, []).append(item)
    return {name: evaluate(scorer, [i.text for i in rows], [i.gold for i in rows]) for name, rows in parts.items()}


def figures(evaluation: Evaluation) -> dict[str, float]:
    """The figures recorded for the set and checked by its test."""
    r = evaluation.report
    negative = r.labels.index("negative")
    return {"accuracy": round(r.accuracy, 3), "macro_recall": round(r.macro_recall, 3),
            "negative_recall": round(r.recall[negative], 3), "negative_precision": round(r.precision[negative], 3)}
