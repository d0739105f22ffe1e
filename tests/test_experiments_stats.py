"""A/B statistics without a database: published values for the intervals, the split of 10,000 members
against a chi-square bound, and seeded simulations of a real lift (detected) and of no lift (flagged at
about the stated 5 %), plus the config refusals."""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import numpy as np
import yaml
import pytest

from bot import config
from bot.config import ConfigError
from handlers.experiments import assign, report, stats
from handlers.experiments.variants import Experiment
from storage.experiments import VariantTally

# Upper 0.1 % points of the chi-square distribution (any statistics table), by degrees of freedom.
CHI2_CRITICAL_0001 = {1: 10.828, 2: 13.816, 3: 16.266}


def experiment(weights: tuple[int, ...] = (50, 50), min_sample: int = 100, **extra: Any) -> Experiment:
    variants = [{"name": chr(ord("a") + i), "weight": w, "text": f"text {i}"} for i, w in enumerate(weights)]
    return Experiment.model_validate({"id": "nudge-test", "message": "winback_nudge", "variants": variants,
                                      "conversion": "return", "min_sample_per_variant": min_sample, **extra})


def chi_square(observed: list[int], expected: list[float]) -> float:
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))


# ---- intervals and tests against published values --------------------------------------------------

# Newcombe (1998), Statistics in Medicine 17:857-872, Table II, method 10 (hybrid score, no continuity
# correction): (control converted, n), (variant converted, n) -> interval of variant - control.
NEWCOMBE_TABLE = [
    ((48, 80), (56, 70), (0.0524, 0.3339)),
    ((3, 10), (9, 10), (0.1705, 0.8090)),
    ((2, 7), (6, 7), (0.0582, 0.8062)),
    ((0, 29), (5, 56), (-0.0381, 0.1926)),
    ((0, 20), (0, 10), (-0.1611, 0.2775)),
    ((0, 10), (0, 10), (-0.2775, 0.2775)),
    ((0, 20), (10, 10), (0.6791, 1.0000)),
    ((0, 10), (10, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("control", "variant", "expected"), NEWCOMBE_TABLE)
def test_difference_interval_matches_newcombe_1998(control: tuple[int, int], variant: tuple[int, int],
                                                   expected: tuple[float, float]) -> None:
    interval = stats.newcombe(control, variant)
    assert (round(interval.low, 4), round(interval.high, 4)) == pytest.approx(expected, abs=1e-4)


# Newcombe (1998), Statistics in Medicine 17:857-872 (single proportion), method 3 (Wilson score).
@pytest.mark.parametrize(("converted", "n", "expected"), [
    (81, 263, (0.2553, 0.3662)), (15, 148, (0.0624, 0.1605)), (0, 20, (0.0, 0.1611)), (1, 29, (0.0061, 0.1718))])
def test_wilson_interval_matches_newcombe_1998(converted: int, n: int, expected: tuple[float, float]) -> None:
    interval = stats.wilson(converted, n)
    assert (round(interval.low, 4), round(interval.high, 4)) == pytest.approx(expected, abs=1e-4)


def test_p_value_is_pearson_chi_square_of_the_two_by_two_table() -> None:
    # 56/70 against 48/80: Pearson's X^2 = N(ad - bc)^2 / (row and column totals) = 7.0234 on 1 df,
    # whose upper tail is erfc(sqrt(X^2 / 2)).
    a, b, c, d = 56, 14, 48, 32
    n = a + b + c + d
    x2 = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    assert x2 == pytest.approx(7.0234, abs=1e-4)
    assert stats.p_value((48, 80), (56, 70)) == pytest.approx(math.erfc(math.sqrt(x2 / 2)), rel=1e-9)
    assert stats.p_value((48, 80), (56, 70)) == pytest.approx(0.00805, abs=1e-5)
    assert stats.p_value((0, 10), (0, 10)) == 1.0


def test_z_for_95_percent() -> None:
    assert stats.z_for(0.95) == pytest.approx(1.959964, abs=1e-6)


def test_verdict_needs_both_the_interval_and_the_minimum_sample() -> None:
    big_lift = ((10, 100), (40, 100))
    assert stats.compare(*big_lift, min_sample=100).verdict == stats.BETTER  # type: ignore[union-attr]
    assert stats.compare(*big_lift, min_sample=101).verdict == stats.NOT_YET  # type: ignore[union-attr]
    assert stats.compare((40, 100), (10, 100), min_sample=50).verdict == stats.WORSE  # type: ignore[union-attr]
    small = stats.compare((10, 100), (14, 100), min_sample=10)
    assert small is not None and not small.interval.excludes_zero() and small.verdict == stats.NOT_YET
    assert stats.compare((0, 0), (3, 10), min_sample=1) is None


# ---- assignment balance ---------------------------------------------------------------------------

@pytest.mark.parametrize("weights", [(50, 50), (50, 30, 20), (10, 20, 30, 40)])
def test_split_of_10000_members_passes_chi_square(weights: tuple[int, ...]) -> None:
    tested = experiment(weights)
    counts = Counter(assign.choose(tested, member_id).name for member_id in range(1, 10_001))
    observed = [counts[v.name] for v in tested.variants]
    expected = [10_000 * w / 100 for w in weights]
    assert sum(observed) == 10_000
    assert chi_square(observed, expected) < CHI2_CRITICAL_0001[len(weights) - 1]


def test_two_experiments_split_members_independently() -> None:
    first, second = experiment(), Experiment.model_validate({**experiment().model_dump(), "id": "other-test"})
    cells = Counter((assign.choose(first, m).name, assign.choose(second, m).name) for m in range(1, 10_001))
    observed = [cells[(x, y)] for x in "ab" for y in "ab"]
    # Independence of two 50/50 splits: each cell expects a quarter; 1 df after the fixed margins.
    assert chi_square(observed, [2_500.0] * 4) < CHI2_CRITICAL_0001[3]


def test_point_is_deterministic_and_uniform_range() -> None:
    points = [assign.point("nudge-test", m) for m in range(1, 2_001)]
    assert points == [assign.point("nudge-test", m) for m in range(1, 2_001)]
    assert all(0 <= p < 100 for p in points)
    assert assign.point("nudge-test", 7) != assign.point("other-test", 7)


# ---- seeded simulations ---------------------------------------------------------------------------

def test_simulated_true_lift_is_detected_through_assignment_and_results() -> None:
    """4,000 members split by the real assignment, converting at 10 % (a) and 15 % (b): the results built
    from their counts declare b better, with the true lift inside the interval."""
    tested = experiment(min_sample=1_500)
    rng = random.Random(20261201)
    rates = {"a": 0.10, "b": 0.15}
    exposed: Counter[str] = Counter()
    converted: Counter[str] = Counter()
    for member_id in range(1, 4_001):
        name = assign.choose(tested, member_id).name
        exposed[name] += 1
        converted[name] += rng.random() < rates[name]
    results = report.build(tested, [VariantTally(n, exposed[n], 0, converted[n]) for n in "ab"])
    variant = results.variants[1]
    assert variant.comparison is not None and variant.comparison.verdict == stats.BETTER
    assert variant.comparison.interval.low < 0.05 < variant.comparison.interval.high
    assert results.decided() == [variant]


def test_true_lift_is_detected_with_high_power() -> None:
    """10 % against 15 % at 2,000 members per arm: the power is above 99.9 %; 500 seeded experiments."""
    rng = np.random.default_rng(1201)
    control = rng.binomial(2_000, 0.10, size=500)
    variant = rng.binomial(2_000, 0.15, size=500)
    verdicts = Counter(stats.compare((int(c), 2_000), (int(v), 2_000), min_sample=2_000).verdict  # type: ignore[union-attr]
                       for c, v in zip(control, variant, strict=True))
    assert verdicts[stats.WORSE] == 0
    assert verdicts[stats.BETTER] >= 495


def test_no_lift_is_flagged_at_about_five_percent() -> None:
    """1,000 seeded null experiments (10 % in both arms, 2,000 per arm): declared better or worse in about
    5 %; the bounds 3 % to 7.5 % hold with probability above 99.7 % for a true 5 % (binomial)."""
    rng = np.random.default_rng(5)
    control = rng.binomial(2_000, 0.10, size=1_000)
    variant = rng.binomial(2_000, 0.10, size=1_000)
    compared = [stats.compare((int(c), 2_000), (int(v), 2_000), min_sample=2_000)
                for c, v in zip(control, variant, strict=True)]
    flagged = sum(1 for c in compared if c is not None and c.verdict != stats.NOT_YET)
    assert 30 <= flagged <= 75
    rejected = sum(1 for c in compared if c is not None and c.p_value < 0.05)
    assert 30 <= rejected <= 75


# ---- config ---------------------------------------------------------------------------------------

def _raw(**experiment_fields: Any) -> dict[str, Any]:
    fields = {"id": "nudge-test", "message": "winback_nudge", "conversion": "return",
              "variants": [{"name": "a", "weight": 50, "text": "Come back!"},
                           {"name": "b", "weight": 50, "text": "We miss you!"}], **experiment_fields}
    return {"programs": [{"id": "acme", "name": "Acme", "experiments": [fields]}]}


@pytest.mark.parametrize(("fields", "message"), [
    ({"variants": [{"name": "a", "weight": 50, "text": "x"}, {"name": "b", "weight": 40, "text": "y"}]},
     "variant weights [50, 40] sum to 90; they are percents and must sum to 100"),
    ({"variants": [{"name": "a", "weight": 60, "text": "x"}, {"name": "b", "weight": 50, "text": "y"}]},
     "variant weights [60, 50] sum to 110"),
    ({"variants": [{"name": "a", "weight": 100, "text": "x"}]}, "needs at least 2 variants to compare, got 1"),
    ({"variants": [{"name": "a", "weight": 50, "text": "x"}, {"name": "a", "weight": 50, "text": "y"}]},
     "variant names that repeat: ['a', 'a']"),
    ({"conversion": "clicks"}, "conversion = 'clicks': Input should be 'earning_message', 'ugc_submission', "
                               "'redemption' or 'return'"),
    ({"message": "announcement"}, "'announcement' is a group post"),
    ({"message": "contest_announcement"}, "'contest_announcement' is a group post"),
    ({"message": "double-days"}, "unknown message 'double-days'; experiments test a message sent to each member: "
                                 "birthday_greeting, winback_nudge"),
    ({"start": "2026-12-10T00:00:00", "end": "2026-12-01T00:00:00"}, "end 2026-12-01 00:00:00 is not after start"),
    ({"window_hours": 0}, "window_hours = 0: Input should be greater than or equal to 1"),
])
def test_bad_experiment_config_is_refused_with_its_reason(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.parse(_raw(**fields))
    assert "programs[0].experiments[0]" in str(info.value)
    assert message in str(info.value)


def test_two_experiments_on_one_message_at_once_are_refused() -> None:
    raw = _raw(start="2026-12-01T00:00:00", end="2026-12-20T00:00:00")
    second = {**raw["programs"][0]["experiments"][0], "id": "nudge-two", "start": "2026-12-15T00:00:00"}
    raw["programs"][0]["experiments"].append(second)
    with pytest.raises(ConfigError, match="'nudge-test' and 'nudge-two' both test 'winback_nudge' at the same time"):
        config.parse(raw)
    second.update(start="2026-12-20T00:00:00", end=None)
    assert len(config.parse(raw).programs[0].experiments) == 2
    second["id"] = "nudge-test"
    with pytest.raises(ConfigError, match="experiment ids must be unique within a program"):
        config.parse(raw)


def test_good_experiment_config_is_accepted() -> None:
    tested = config.parse(_raw(message="birthday_greeting")).programs[0].experiments[0]
    assert tested.control.name == "a" and tested.message == "birthday_greeting"
    assert tested.variants[1].text_for("zh-CN") == "We miss you!"


def test_the_templates_commented_example_is_a_valid_experiment() -> None:
    from bot.cli import TEMPLATE

    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    end = lines.index("    experiments: []")
    start = max(i for i in range(end) if lines[i].startswith("    #   - id:"))
    example = yaml.safe_load("\n".join(line.removeprefix("    #   ") for line in lines[start:end]))
    raw = _raw()
    raw["programs"][0]["experiments"] = example
    tested = config.parse(raw).programs[0].experiments[0]
    assert [v.name for v in tested.variants] == ["plain", "personal"] and tested.min_sample_per_variant == 100
