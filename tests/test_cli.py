"""The engagebot command line, run as a user would (in-process through typer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("ENGAGEBOT_DISCORD_TOKEN", "ENGAGEBOT_TELEGRAM_TOKEN", "ENGAGEBOT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_init_writes_config_and_refuses_overwrite(workdir: Path) -> None:
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert "points_per_message" in (workdir / "config.yaml").read_text()
    again = runner.invoke(app, ["init"])
    assert again.exit_code != 0 and "--force" in again.output


def test_run_without_tokens_names_the_variables(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    result = runner.invoke(app, ["run"])
    assert result.exit_code != 0
    assert "ENGAGEBOT_DISCORD_TOKEN" in result.output and "ENGAGEBOT_TELEGRAM_TOKEN" in result.output


def test_invalid_config_stops_with_one_message(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    path = workdir / "config.yaml"
    path.write_text(path.read_text().replace("daily_cap: 200", "daily_cap: lots"))
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2 and "programs[0].rules.daily_cap = 'lots'" in result.output


def test_ledger_verify_requires_upgrade_then_passes(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    before = runner.invoke(app, ["ledger", "verify"])
    assert before.exit_code != 0 and "engagebot db upgrade" in before.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    after = runner.invoke(app, ["ledger", "verify"])
    assert after.exit_code == 0 and "acme: 0 entries OK" in after.output


def test_demo_then_export_and_verify(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["demo", "--out", "out"])
    assert result.exit_code == 0, result.output
    report = (workdir / "out" / "report.md").read_text()
    assert "ledger verify: OK" in report and "## Top 10" in report and "too_short" in report
    assert "### by language" in report and "| zh |" in report and "| telegram |" in report
    monkeypatch.setenv("ENGAGEBOT_DATABASE_URL", f"sqlite+aiosqlite:///{workdir / 'out' / 'engagebot-demo.db'}")
    runner.invoke(app, ["init"])
    assert runner.invoke(app, ["ledger", "verify"]).exit_code == 0
    assert runner.invoke(app, ["export", "--program", "acme", "--format", "json", "--out", "x"]).exit_code == 0
    data = json.loads((workdir / "x" / "acme.json").read_text())
    assert data["ledger"][0]["seq"] == 1 and len(data["members"]) > 300
    balances = {row["member_id"]: row["balance"] for row in data["members"]}
    assert sum(balances.values()) == sum(entry["delta"] for entry in data["ledger"])
    assert runner.invoke(app, ["export", "--program", "acme", "--out", "y"]).exit_code == 0
    assert (workdir / "y" / "acme-ledger.csv").read_text().startswith("seq,member_id,delta")
    unknown = runner.invoke(app, ["export", "--program", "nope"])
    assert unknown.exit_code != 0 and "unknown program 'nope'" in unknown.output
