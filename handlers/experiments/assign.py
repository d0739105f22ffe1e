"""Which variant a member gets: deterministic from ``sha256(experiment id, member id)``, then sticky.

The hash puts each member at a point in [0, 100); the variants' weights cut
that range into consecutive slices in config order, so a member's variant
needs no state to compute and is the same on every process. It is stored at
the first exposure all the same, because weights may change later and a
member must stay in the variant they were shown (``storage.experiments``).
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.config_model import Program
from handlers.experiments.variants import Experiment, Variant, WEIGHT_TOTAL, running_for
from storage import experiments as store

_SCALE = 2**64


def point(experiment_id: str, member_id: int) -> float:
    """The member's uniform point in [0, 100) for this experiment (first 8 bytes of the sha256)."""
    digest = hashlib.sha256(f"{experiment_id}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") * WEIGHT_TOTAL / _SCALE


def choose(experiment: Experiment, member_id: int) -> Variant:
    """The variant whose weight slice holds the member's point."""
    at, edge = point(experiment.id, member_id), 0
    for variant in experiment.variants:
        edge += variant.weight
        if at < edge:
            return variant
    return experiment.variants[-1]


@dataclass(frozen=True)
class Shown:
    """What a member was shown: the experiment, their variant, its text (formatted) and whether this was
    their first exposure."""

    experiment_id: str
    variant: str
    text: str
    first: bool


class _Kept(dict[str, object]):
    """Fields a variant names that the sender did not offer stay as written, so a typo in config shows
    in the message instead of failing the send."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(text: str, fields: Mapping[str, object]) -> str:
    try:
        return string.Formatter().vformat(text, (), _Kept(fields))
    except (ValueError, IndexError, AttributeError):
        return text


async def show(session: AsyncSession, program: Program, message: str, member_id: int, now: datetime,
               locale: str = "en", fields: Mapping[str, object] | None = None) -> Shown | None:
    """Assign and expose the member to the experiment testing ``message`` now, if any. A member whose
    stored variant has since been removed from config gets None (the sender's own text); they stay
    counted in that variant."""
    experiment = running_for(program.experiments, message, now)
    if experiment is None:
        return None
    proposed = choose(experiment, member_id).name
    exposure = await store.expose(session, program.id, experiment.id, member_id, proposed, now,
                                  now + timedelta(hours=experiment.window_hours))
    variant = experiment.variant(exposure.variant)
    if variant is None:
        return None
    return Shown(experiment.id, variant.name, render(variant.text_for(locale), fields or {}), exposure.first)


async def variant_text(session: AsyncSession, program: Program, message: str, member_id: int, default_text: str,
                       now: datetime, locale: str = "en", fields: Mapping[str, object] | None = None) -> str:
    """The text to send ``member_id`` for ``message``: their variant's when an experiment tests it now
    (recording the exposure), else ``default_text``."""
    shown = await show(session, program, message, member_id, now, locale, fields)
    return default_text if shown is None else shown.text
