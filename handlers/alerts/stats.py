"""The spike test: one channel's last hour against its own trailing hourly baseline, as a z-score.

Pure arithmetic over the hourly counts the database aggregated
(``handlers.alerts.check.buckets``: the baseline's clock hours from the
rollup, the last hour live), so the rule is tested without a database.

- Negative share: negative / scored messages of the hour, against the shares
  of the baseline hours that had scored messages.
- Volume: messages of the hour, against every baseline hour since the
  channel's first message in the window (quiet hours count as 0), with the
  standard deviation at least the square root of the mean (Poisson noise).

Both use a floor on the standard deviation, so a perfectly steady baseline
does not turn one odd message into a spike. A channel whose baseline is
shorter than ``min_baseline_hours`` is not tested: a new channel has no
"normal" to compare with. An incident opens when z >= the threshold and the
hour has at least ``min_messages``; it closes (hysteresis) once z is under
half the threshold or the hour has under half the minimum, so a statistic
hovering at the threshold does not alert again and again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import sqrt
from statistics import fmean, pstdev

from handlers.config_model import AlertSettings
from storage.alerts import NEGATIVE, VOLUME, Bucket


@dataclass(frozen=True)
class Reading:
    """One statistic of one channel at one check: ``value`` (a share 0..1, or a count) over ``messages``
    (scored ones for the share), the baseline's mean and floored std, and z."""

    kind: str
    value: float
    messages: int
    mean: float
    std: float
    z: float


def zscore(value: float, baseline: Sequence[float], floor: float) -> tuple[float, float, float]:
    """(mean, std, z) of ``value`` against ``baseline``, the std at least ``floor``."""
    mean = fmean(baseline)
    std = max(pstdev(baseline), floor)
    return mean, std, (value - mean) / std


def negative_share(hours: dict[int, Bucket], settings: AlertSettings) -> Reading | None:
    """The negative-share reading, or None while fewer than ``min_baseline_hours`` hours had scored messages."""
    baseline = [b.negative / b.scored for ago, b in hours.items() if ago > 0 and b.scored]
    if len(baseline) < settings.min_baseline_hours:
        return None
    now = hours.get(0)
    scored = now.scored if now else 0
    share = now.negative / scored if now and scored else 0.0
    mean, std, z = zscore(share, baseline, settings.negative_std_floor)
    return Reading(NEGATIVE, share, scored, mean, std, z)


def volume(hours: dict[int, Bucket], settings: AlertSettings) -> Reading | None:
    """The volume reading, or None while the channel's history in the window is under ``min_baseline_hours``."""
    span = max((ago for ago in hours if ago > 0), default=0)
    if span < settings.min_baseline_hours:
        return None
    baseline = [float(hours[ago].messages) if ago in hours else 0.0 for ago in range(1, span + 1)]
    count = hours[0].messages if 0 in hours else 0
    mean, std, z = zscore(count, baseline, max(settings.volume_std_floor, sqrt(fmean(baseline))))
    return Reading(VOLUME, float(count), count, mean, std, z)


def readings(hours: dict[int, Bucket], settings: AlertSettings) -> list[Reading]:
    return [r for r in (negative_share(hours, settings), volume(hours, settings)) if r is not None]


def threshold(kind: str, settings: AlertSettings) -> float:
    return settings.negative_z if kind == NEGATIVE else settings.volume_z


def raises(reading: Reading, settings: AlertSettings) -> bool:
    return reading.z >= threshold(reading.kind, settings) and reading.messages >= settings.min_messages


def subsided(reading: Reading | None, settings: AlertSettings) -> bool:
    """Whether an open incident is over: no reading (nothing left to test), or z under half the threshold,
    or the hour under half the minimum volume."""
    if reading is None:
        return True
    return reading.z < threshold(reading.kind, settings) / 2 or reading.messages < settings.min_messages / 2
