"""Config validation messages and secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot import config
from bot.config import ConfigError, Secrets

TEMPLATE = Path(__file__).resolve().parents[1] / "bot" / "templates" / "config.yaml"


def _raw() -> dict:
    return yaml.safe_load(TEMPLATE.read_text())


def test_template_is_valid_and_is_the_repo_config() -> None:
    settings = config.load(TEMPLATE)
    assert settings.programs[0].rules.daily_cap == 200
    example = Path(__file__).resolve().parents[1] / "config.yaml"  # a real file since issue 13, not a symlink
    assert not example.is_symlink() and config.load(example) == settings


@pytest.mark.parametrize(("path", "value", "expected"), [
    (("rules", "daily_cap"), -5, "programs[0].rules.daily_cap = -5: Input should be greater than or equal to 0"),
    (("rules", "cooldown_seconds"), "soon", "programs[0].rules.cooldown_seconds = 'soon': Input should be a valid integer"),
    (("timezone",), "Mars/Base", "programs[0].timezone = 'Mars/Base': must be an IANA time zone"),
    (("locale",), "fr", "programs[0].locale = 'fr': Input should be 'en' or 'zh-CN'"),
    (("rules", "points_per_mesage"), 3, "programs[0].rules.points_per_mesage = 3: Extra inputs are not permitted"),
    (("tiers",), [{"name": "Gold", "min_points": 10}], "the first tier must start at min_points 0"),
])
def test_bad_values_named_with_key_value_and_allowed(path: tuple, value: object, expected: str) -> None:
    raw = _raw()
    target = raw["programs"][0]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ConfigError) as info:
        config.parse(raw)
    assert expected in str(info.value)


def test_duplicate_community_across_programs() -> None:
    raw = _raw()
    second = dict(raw["programs"][0], id="other")
    raw["programs"].append(second)
    with pytest.raises(ConfigError, match="is in both acme and other"):
        config.parse(raw)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="engagebot init"):
        config.load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("programs: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        config.load(bad)


def test_secrets_only_from_environment() -> None:
    secrets = Secrets.from_env({"ENGAGEBOT_DISCORD_TOKEN": "d", "ENGAGEBOT_DATABASE_URL": "postgresql+asyncpg://x"})
    assert (secrets.discord_token, secrets.telegram_token) == ("d", None)
    assert config.database_url(config.load(TEMPLATE), secrets) == "postgresql+asyncpg://x"
    assert "token" not in TEMPLATE.read_text().split("secrets are NOT read")[-1].split("database_url:")[1].lower()
