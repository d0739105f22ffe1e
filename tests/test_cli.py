"""The engagebot command line, run as a user would (in-process through typer)."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from bot import config as config_loader
from bot.cli import TEMPLATE, app

runner = CliRunner()


def errors(output: str) -> list[str]:
    """The error lines (log lines of an earlier in-process test's logging set-up may come with them)."""
    return [line for line in output.splitlines() if line.startswith("error:")]


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
    problems = result.output.split("invalid config:", 1)[1].strip().splitlines()
    assert len(problems) == 1, result.output  # no echo of it as "programs: Tuple should have at least 1 item"


def test_two_problems_two_lines_and_empty_programs_one(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    path = workdir / "config.yaml"
    path.write_text(path.read_text().replace("daily_cap: 200", "daily_cap: lots").replace("timezone: UTC",
                                                                                           "timezone: Mars/Base"))
    two = runner.invoke(app, ["db", "upgrade"])
    assert len(two.output.split("invalid config:", 1)[1].strip().splitlines()) == 2, two.output
    path.write_text("programs: []\n")
    empty = runner.invoke(app, ["db", "upgrade"])
    assert empty.exit_code == 2 and "programs = []: Tuple should have at least 1 item" in empty.output


def test_root_config_is_a_real_example_and_init_force_works(workdir: Path) -> None:
    root = Path(__file__).resolve().parents[1] / "config.yaml"
    assert root.is_file() and not root.is_symlink()
    config_loader.load(root)

    def keys(node: Any, prefix: str = "") -> set[str]:
        if isinstance(node, dict):
            return set().union(*(keys(v, f"{prefix}.{k}") | {f"{prefix}.{k}"} for k, v in node.items()))
        if isinstance(node, list):
            return set().union(set(), *(keys(v, f"{prefix}[]") for v in node))
        return set()

    assert keys(yaml.safe_load(root.read_text())) == keys(yaml.safe_load(TEMPLATE.read_text()))
    assert runner.invoke(app, ["init"]).exit_code == 0
    (workdir / "config.yaml").write_text("edited")
    assert runner.invoke(app, ["init", "--force"]).exit_code == 0
    assert (workdir / "config.yaml").read_text() == TEMPLATE.read_text()
    assert runner.invoke(app, ["init", "--force", str(TEMPLATE)]).exit_code == 0  # no SameFileError
    assert TEMPLATE.read_text() == (workdir / "config.yaml").read_text()


def test_version_and_short_help_everywhere(workdir: Path) -> None:
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.strip() == f"engagebot {metadata.version('engagebot')}"

    def paths(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        out = [prefix]
        out += [(*prefix, c.name or c.callback.__name__) for c in group.registered_commands]
        for sub in group.registered_groups:
            out += paths(sub.typer_instance, (*prefix, sub.name))
        return out

    commands = paths(app)
    assert ("sentiment", "score") in commands and ("db", "upgrade") in commands
    for command in commands:
        short = runner.invoke(app, [*command, "-h"])
        assert short.exit_code == 0 and "Usage:" in short.output, command
        assert short.output == runner.invoke(app, [*command, "--help"]).output


def test_export_to_a_folder_that_cannot_exist_is_one_line(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    (workdir / "a-file").write_text("not a folder")
    result = runner.invoke(app, ["export", "--program", "acme", "--out", "a-file/sub"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert errors(result.output) == ["error: a-file/sub: Not a directory"], result.output
    debug = runner.invoke(app, ["--debug", "export", "--program", "acme", "--out", "a-file/sub"])
    assert debug.exit_code == 1 and "Traceback" in debug.output


@pytest.mark.parametrize(("url", "says"), [
    ("postgresql+asyncpg://postgres@127.0.0.1:1/nothing", "cannot reach the database"),
    ("this is not a url", "the database URL is malformed"),
    ("sqlite+aiosqlite:////no/such/folder/x.db", "cannot use the database"),
])
def test_database_problems_are_one_line(workdir: Path, monkeypatch: pytest.MonkeyPatch, url: str, says: str) -> None:
    runner.invoke(app, ["init"])
    monkeypatch.setenv("ENGAGEBOT_DATABASE_URL", url)
    for command in (["db", "upgrade"], ["export", "--program", "acme"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1 and "Traceback" not in result.output
        (line,) = errors(result.output)
        assert line.startswith(f"error: {says}") and "ENGAGEBOT_DATABASE_URL" in line


def test_ledger_verify_requires_upgrade_then_passes(workdir: Path) -> None:
    runner.invoke(app, ["init"])
    before = runner.invoke(app, ["ledger", "verify"])
    assert before.exit_code != 0 and "engagebot db upgrade" in before.output
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    after = runner.invoke(app, ["ledger", "verify"])
    assert after.exit_code == 0 and "acme: 0 entries OK" in after.output


def test_demo_then_export_and_verify(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["demo", "--out", "out", "--messages", "200"])
    assert result.exit_code == 0, result.output
    report = (workdir / "out" / "report.md").read_text()
    assert "ledger verify | OK" in report and "## Top 10" in report and "too_short" in report
    assert "## Sentiment by language" in report and "| zh |" in report and "| telegram |" in report
    monkeypatch.setenv("ENGAGEBOT_DATABASE_URL", f"sqlite+aiosqlite:///{workdir / 'out' / 'engagebot-demo.db'}")
    runner.invoke(app, ["init"])
    assert runner.invoke(app, ["ledger", "verify"]).exit_code == 0
    assert runner.invoke(app, ["export", "--program", "acme", "--format", "json", "--out", "x"]).exit_code == 0
    data = json.loads((workdir / "x" / "acme.json").read_text())
    assert data["ledger"][0]["seq"] == 1 and len(data["members"]) > 50
    balances = {row["member_id"]: row["balance"] for row in data["members"]}
    assert sum(balances.values()) == sum(entry["delta"] for entry in data["ledger"])
    assert runner.invoke(app, ["export", "--program", "acme", "--out", "y"]).exit_code == 0
    assert (workdir / "y" / "acme-ledger.csv").read_text(encoding="utf-8-sig").startswith("seq,member_id,delta")
    unknown = runner.invoke(app, ["export", "--program", "nope"])
    assert unknown.exit_code != 0 and "unknown program 'nope'" in unknown.output
