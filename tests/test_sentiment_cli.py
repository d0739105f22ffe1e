"""``engagebot sentiment score``, ``export`` and eval's stated binary rule; the scorer's
handling of repeated texts."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli import app
from sentiment.evaluate import BINARY_RULE, evaluate
from sentiment.scoring import Scorer

runner = CliRunner()


class Fixed:
    """A backend that answers fixed probabilities per text and records what it was asked."""

    version = "fixed-1"
    languages = frozenset({"en", "zh"})

    def __init__(self, answers: dict[str, tuple[float, float, float]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def probabilities(self, texts: list[str]) -> np.ndarray:
        self.asked += texts
        return np.array([self.answers[t] for t in texts], dtype=np.float32)


def test_binary_decides_by_positive_against_negative_and_says_so() -> None:
    """A neutral-leaning text counts as positive when P(positive) >= P(negative), never silently negative."""
    backend = Fixed({"mostly neutral but kind": (0.1, 0.7, 0.2), "mostly neutral but sour": (0.25, 0.7, 0.05),
                     "clearly good stuff": (0.05, 0.05, 0.9)})
    texts = ["mostly neutral but kind", "mostly neutral but sour", "clearly good stuff", "@someone"]
    result = evaluate(Scorer(backend), texts, [2, 0, 2, 2], binary=True)
    assert result.report.confusion == [[1, 0], [0, 2]] and result.unscored == 1  # the bare mention is left out
    assert result.rule == BINARY_RULE and "P(positive) >= P(negative)" in result.rule


def test_eval_binary_prints_the_rule_and_missing_files_are_one_line(tmp_path: Path) -> None:
    table = tmp_path / "r.csv"
    table.write_text("review,label\n太好吃了，非常满意,1\n太难吃了，很失望,0\n", encoding="utf-8-sig")
    binary = runner.invoke(app, ["sentiment", "eval", "--csv", str(table), "--text-col", "review", "--binary"])
    assert binary.exit_code == 0 and BINARY_RULE in binary.output.replace("\n", " "), binary.output
    for args in (["--text", "nope.txt", "--labels", str(table)], ["--csv", "nope.csv"]):
        missing = runner.invoke(app, ["sentiment", "eval", *args])
        assert missing.exit_code == 2 and "nope" in missing.output and "no such file" in missing.output
        assert "Traceback" not in missing.output and len(missing.output.strip().splitlines()) == 1


def test_repeated_texts_are_judged_once() -> None:
    backend = Fixed({"gm everyone": (0.1, 0.8, 0.1), "love it so much": (0.0, 0.1, 0.9)})
    scores = Scorer(backend).score(["gm everyone", "love it so much", "gm everyone", "gm everyone"])
    assert backend.asked == ["gm everyone", "love it so much"]
    assert [s.label for s in scores] == ["neutral", "positive", "neutral", "neutral"]


def test_score_prints_label_and_probabilities(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sentiment", "score", "I love this, the new release is amazing!"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "amazing" in line)
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[1] == "positive" and cells[5] == "en"
    assert abs(sum(float(c) for c in cells[2:5]) - 1) < 0.01 and float(cells[4]) > 0.5
    lines = tmp_path / "t.txt"
    lines.write_text("太差了，再也不买了\nhttps://example.com\n", encoding="utf-8")
    from_file = runner.invoke(app, ["sentiment", "score", "--file", str(lines)], env={"COLUMNS": "200"})
    assert from_file.exit_code == 0 and "negative" in from_file.output and "unscored" in from_file.output
    nothing = runner.invoke(app, ["sentiment", "score"])
    assert nothing.exit_code == 2 and "--file" in nothing.output


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small demo's database, used through ENGAGEBOT_DATABASE_URL with the example config."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    assert runner.invoke(app, ["demo", "--messages", "40", "--out", "demo"]).exit_code == 0
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setenv("ENGAGEBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'demo' / 'engagebot-demo.db'}")
    return tmp_path


def test_export_writes_per_message_scores(demo_db: Path) -> None:
    result = runner.invoke(app, ["sentiment", "export", "--program", "acme"])
    assert result.exit_code == 0, result.output
    raw = (demo_db / "acme-sentiment.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the file as UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    with sqlite3.connect(demo_db / "demo" / "engagebot-demo.db") as conn:
        stored = conn.execute("SELECT count(*) FROM messages WHERE program_id = 'acme'").fetchone()[0]
    assert len(rows) == stored > 40 and all(r["program_id"] == "acme" for r in rows)
    scored = [r for r in rows if r["label"] in ("negative", "neutral", "positive")]
    assert scored and all(abs(float(r["p_negative"]) + float(r["p_neutral"]) + float(r["p_positive"]) - 1) < 1e-3
                          for r in scored)
    times = sorted(r["created_at"] for r in rows)
    middle = times[len(times) // 2]
    assert runner.invoke(app, ["sentiment", "export", "--program", "acme", "--format", "json", "--since", middle,
                               "--out", "late.json"]).exit_code == 0
    late = json.loads((demo_db / "late.json").read_text(encoding="utf-8"))
    assert len(late) == sum(1 for t in times if t >= middle) and all(r["created_at"] >= middle for r in late)
    early = runner.invoke(app, ["sentiment", "export", "--program", "acme", "--until", middle, "--out", "e.csv"])
    assert early.exit_code == 0 and f"wrote {sum(1 for t in times if t < middle)} messages" in early.output


def test_export_refusals(demo_db: Path) -> None:
    unknown = runner.invoke(app, ["sentiment", "export", "--program", "nope"])
    assert unknown.exit_code == 2 and "unknown program 'nope'" in unknown.output
    folder = runner.invoke(app, ["sentiment", "export", "--program", "acme", "--out", "no/such/x.csv"])
    assert folder.exit_code == 2 and "does not exist" in folder.output
    backwards = runner.invoke(app, ["sentiment", "export", "--program", "acme", "--since", "2026-10-20",
                                    "--until", "2026-10-10"])
    assert backwards.exit_code == 2 and "before --until" in backwards.output
