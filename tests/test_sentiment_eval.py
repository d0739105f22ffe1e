"""Metrics and the evaluation command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from sentiment.metrics import report


def test_report_figures() -> None:
    r = report([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ("negative", "neutral", "positive"))
    assert r.confusion == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert abs(r.accuracy - 4 / 6) < 1e-9
    assert abs(r.macro_recall - (0.5 + 1 + 0.5) / 3) < 1e-9
    assert abs(r.precision[1] - 2 / 3) < 1e-9


def test_eval_command_text_and_csv(tmp_path: Path) -> None:
    texts = tmp_path / "t.txt"
    labels = tmp_path / "l.txt"
    texts.write_text("I love it, amazing!\nThis is awful, I hate it\nThe shop opens at 9am on Monday\n")
    labels.write_text("2\n0\n1\n")
    result = CliRunner().invoke(app, ["sentiment", "eval", "--text", str(texts), "--labels", str(labels)])
    assert result.exit_code == 0, result.output
    assert "n=3 macro-recall=1.000 accuracy=1.000" in result.output and "texts/s=" in result.output
    table = tmp_path / "r.csv"
    table.write_text("review,label\n太好吃了，非常满意,1\n太难吃了，很失望,0\n")
    binary = CliRunner().invoke(app, ["sentiment", "eval", "--csv", str(table), "--text-col", "review",
                                      "--label-col", "label", "--binary"])
    assert binary.exit_code == 0 and "accuracy=1.000" in binary.output
    bad = CliRunner().invoke(app, ["sentiment", "eval", "--csv", str(table), "--text-col", "text"])
    assert bad.exit_code == 2 and "--text-col" in bad.output
