"""The configured shape of an A/B experiment (``programs[].experiments`` in ``config.yaml``).

An experiment gives one campaign message two or more texts (variants) with
weights in percent, and names what counts as a conversion after a member saw
it. Each rule has its own message, because a brand team writes this by hand:
weights that do not add up to 100 would silently skew the split, two variants
with one name could not be told apart in the results, and a group post (one
post read by everyone in the group) cannot be split per member at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Messages sent to one member (a DM, or a greeting addressed to them), so each member can get their variant;
# a feature that sends another per-member message adds its name here and calls ``assign.variant_text``.
BIRTHDAY_GREETING = "birthday_greeting"
WINBACK_NUDGE = "winback_nudge"
# Posts in the group, read by everyone there: per-member assignment cannot apply (see ``Experiment``).
GROUP_POSTS = ("announcement", "contest_announcement")
MEMBER_MESSAGES = (BIRTHDAY_GREETING, WINBACK_NUDGE)

Conversion = Literal["earning_message", "ugc_submission", "redemption", "return"]
CONVERSIONS: tuple[str, ...] = ("earning_message", "ugc_submission", "redemption", "return")
WEIGHT_TOTAL = 100
_ID = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(_Strict):
    """One text of the message; ``weight`` is the percent of members assigned to it."""

    name: str = Field(pattern=_ID)
    weight: int = Field(ge=1, le=100)
    # English text; ``text_zh`` for members whose language is Chinese (falls back to ``text``).
    # Fields the sender offers (e.g. ``{name}``) may be used; an unknown one is left as written.
    text: str = Field(min_length=1, max_length=2000)
    text_zh: str | None = Field(None, min_length=1, max_length=2000)

    def text_for(self, locale: str) -> str:
        return self.text_zh if locale.startswith("zh") and self.text_zh else self.text


class Experiment(_Strict):
    """An A/B test of one message. The first variant is the control the others are compared with.

    ``message`` is one sent to each member: ``birthday_greeting`` or ``winback_nudge``. The other
    campaign messages (``announcement``, ``contest_announcement``, a window's or member day's
    announcement) are group posts, refused: one post is seen by the whole group, so members cannot be
    split between texts, and splitting the communities instead gives a sample of a handful of groups,
    too few for any test to mean anything.
    """

    id: str = Field(pattern=_ID)
    message: str = Field(pattern=_ID)
    variants: tuple[Variant, ...]
    conversion: Conversion
    # A conversion counts when it happens within this many hours after the member's first exposure.
    window_hours: int = Field(72, ge=1, le=24 * 90)
    # No variant is declared better until every variant has this many exposures with a closed window.
    min_sample_per_variant: int = Field(100, ge=1, le=10_000_000)
    # Naive UTC; members are exposed only in [start, end). Unset = from the start / without end.
    start: datetime | None = None
    end: datetime | None = None

    @model_validator(mode="after")
    def _valid(self) -> Experiment:
        problem = problems(self)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def control(self) -> Variant:
        return self.variants[0]

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def running(self, now: datetime) -> bool:
        return (self.start is None or self.start <= now) and (self.end is None or now < self.end)


def problems(experiment: Experiment) -> str | None:
    """What is wrong with one experiment, as one sentence (None when it is fine)."""
    names = [v.name for v in experiment.variants]
    weights = [v.weight for v in experiment.variants]
    if len(names) < 2:
        return f"experiment {experiment.id!r} needs at least 2 variants to compare, got {len(names)}"
    if len(set(names)) != len(names):
        return f"experiment {experiment.id!r} has variant names that repeat: {names}; each name must be unique"
    if sum(weights) != WEIGHT_TOTAL:
        return (f"experiment {experiment.id!r}: variant weights {weights} sum to {sum(weights)}; "
                f"they are percents and must sum to {WEIGHT_TOTAL}")
    if experiment.message in GROUP_POSTS:
        return (f"experiment {experiment.id!r}: {experiment.message!r} is a group post, read by everyone in "
                f"the group, so members cannot be split between its variants; test a message sent to each member "
                f"({', '.join(MEMBER_MESSAGES)})")
    if experiment.message not in MEMBER_MESSAGES:
        return (f"experiment {experiment.id!r}: unknown message {experiment.message!r}; experiments test a "
                f"message sent to each member: {', '.join(MEMBER_MESSAGES)}")
    if experiment.start is not None and experiment.end is not None and experiment.end <= experiment.start:
        return f"experiment {experiment.id!r}: end {experiment.end} is not after start {experiment.start}"
    return None


def overlaps(experiments: Sequence[Experiment]) -> str | None:
    """Two experiments of one program on the same message at the same time would each claim the member's
    text; refused (unique ids too), so which variant a member gets never depends on config order."""
    ids = [e.id for e in experiments]
    if len(set(ids)) != len(ids):
        return f"experiment ids must be unique within a program, got {ids}"
    for i, first in enumerate(experiments):
        for second in experiments[i + 1:]:
            if first.message == second.message and _overlap(first, second):
                return (f"experiments {first.id!r} and {second.id!r} both test {first.message!r} at the same "
                        f"time; give them start/end dates that do not overlap")
    return None


def _overlap(a: Experiment, b: Experiment) -> bool:
    a_start, b_start = a.start or datetime.min, b.start or datetime.min
    a_end, b_end = a.end or datetime.max, b.end or datetime.max
    return a_start < b_end and b_start < a_end


def running_for(experiments: Sequence[Experiment], message: str, now: datetime) -> Experiment | None:
    """The experiment testing ``message`` at ``now`` (at most one: ``overlaps`` refuses two)."""
    return next((e for e in experiments if e.message == message and e.running(now)), None)


def find(experiments: Sequence[Experiment], experiment_id: str) -> Experiment | None:
    return next((e for e in experiments if e.id == experiment_id), None)
