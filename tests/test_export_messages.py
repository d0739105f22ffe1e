"""``engagebot export`` writes the program's messages with their sentiment: the rows of ``engagebot sentiment
export`` (one collector for both), with the author as the member holding the message now, the label's
probability as ``score``, and the text; as ``<program>-messages.csv`` (BOM, formula-like text neutralised)
or ``messages`` in the JSON, bounded by ``--since``/``--until``."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from typer.testing import CliRunner

from bot import export, sentiment_export
from bot.cli import app
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage.models import Message
from tests.conftest import T0, ctx

MINUTE = timedelta(minutes=1)


async def _said(core: Core) -> None:
    """Alice (Discord) says three things, Bob (Telegram) one, each scored as given; one is left pending."""
    said = [("1", "discord", "alice", "I love the new release!", ("positive", 0.02, 0.08, 0.9)),
            ("1", "discord", "alice", "=HYPERLINK(\"http://x\") broken again", ("negative", 0.7, 0.2, 0.1)),
            ("7", "telegram", "bob", "新版本太差了，再也不买了", ("negative", 0.95, 0.03, 0.02)),
            ("1", "discord", "alice", "still waiting for the scorer", None)]
    for n, (user, platform, name, text, scores) in enumerate(said):
        await core.message(ctx(core, user, platform=platform, name=name, now=T0 + n * MINUTE),
                           IncomingMessage(f"{platform}-{n}", text))
        if scores is None:
            continue
        label, p_negative, p_neutral, p_positive = scores
        async with core.db.unit_of_work() as s:
            await s.execute(update(Message).where(Message.platform_message_id == f"{platform}-{n}").values(
                sentiment_status="scored", sentiment_label=label, p_negative=p_negative, p_neutral=p_neutral,
                p_positive=p_positive, language="zh" if platform == "telegram" else "en"))


async def _collect(core: Core, since: datetime | None = None, until: datetime | None = None) -> dict[str, Any]:
    async with core.db.unit_of_work() as s:
        return await export.collect(s, core.settings.programs[0], since, until)


async def test_messages_carry_author_label_score_and_text(core: Core, tmp_path: Path) -> None:
    await _said(core)
    messages = (await _collect(core))["messages"]
    assert [(m["author"], m["label"], m["score"], m["status"]) for m in messages] == [
        ("alice", "positive", 0.9, "scored"), ("alice", "negative", 0.7, "scored"), ("bob", "negative", 0.95, "scored"),
        ("alice", None, None, "pending")]
    assert messages[2]["text"] == "新版本太差了，再也不买了" and messages[2]["community_id"] == "-100222"
    assert messages[2]["language"] == "zh" and messages[0]["created_at"] == T0.isoformat()
    async with core.db.unit_of_work() as s:
        assert await sentiment_export.collect(s, "acme") == messages  # one collector for both commands


async def test_csv_and_json_files_of_the_messages(core: Core, tmp_path: Path) -> None:
    await _said(core)
    data = await _collect(core)
    paths = export.write(data, "acme", "csv", tmp_path / "csv")
    (messages_csv,) = [p for p in paths if p.name == "acme-messages.csv"]
    assert messages_csv.read_bytes().startswith(b"\xef\xbb\xbf")
    with messages_csv.open(encoding="utf-8-sig", newline="") as handle:
        read = list(csv.DictReader(handle))
    assert list(read[0]) == list(sentiment_export.FIELDS)
    assert read[1]["text"] == "'=HYPERLINK(\"http://x\") broken again"  # Excel would run it as a formula
    assert read[2]["text"] == "新版本太差了，再也不买了" and read[3]["label"] == "" and read[0]["score"] == "0.9"
    (path,) = export.write(data, "acme", "json", tmp_path / "json")
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["messages"] == data["messages"] and written["messages"][1]["text"].startswith("=HYPERLINK")


async def test_since_and_until_bound_the_messages_only(core: Core) -> None:
    await _said(core)
    bounded = await _collect(core, T0 + MINUTE, T0 + 3 * MINUTE)
    assert [m["created_at"] for m in bounded["messages"]] == [(T0 + MINUTE).isoformat(), (T0 + 2 * MINUTE).isoformat()]
    assert len(bounded["members"]) == 2


def test_the_command_writes_the_messages_file_and_refuses_backwards_bounds(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["export", "--program", "acme", "--out", "out", "--since", "2026-01-01"])
    assert result.exit_code == 0, result.output
    messages = (tmp_path / "out" / "acme-messages.csv").read_bytes().decode("utf-8-sig")
    assert messages == ",".join(sentiment_export.FIELDS) + "\r\n"
    backwards = runner.invoke(app, ["export", "--program", "acme", "--since", "2026-02-01", "--until", "2026-01-01"])
    assert backwards.exit_code != 0 and "must be before --until" in backwards.output
    assert sentiment_export.naive_utc(datetime(2026, 1, 1, 9, tzinfo=UTC).astimezone()) == datetime(2026, 1, 1, 9)
