"""Scoring in a child process: the same scores as in the bot's process, written by the worker."""

from __future__ import annotations

from sqlalchemy import select

from bot.sentiment_worker import SentimentWorker
from handlers.core import Core
from handlers.engagement import IncomingMessage
from sentiment import loader
from sentiment.process import ScoringProcess
from storage.models import Message
from tests.conftest import ctx

TEXTS = ["I love this community so much", "I hate the new update", "the event is on friday",
         "https://x.co/a", "今天的活动太棒了"]


async def test_child_scores_as_the_bot_process_does(core: Core) -> None:
    for i, text in enumerate(TEXTS):
        await core.message(ctx(core, str(i)), IncomingMessage(f"m{i}", text))
    parent = loader.load("onnx")
    expected = parent.score(TEXTS)
    child = ScoringProcess("onnx")
    try:
        await child.start()
        assert child.version == parent.version
        assert await child.score(TEXTS) == expected
        assert await SentimentWorker(core.db, child, batch_size=10).drain() == len(TEXTS)
    finally:
        child.close()
    async with core.db.unit_of_work() as s:
        rows = (await s.execute(select(Message.sentiment_label, Message.p_positive, Message.language)
                                .order_by(Message.id))).all()
    assert [(r.sentiment_label, r.language) for r in rows] == [(e.label, e.language) for e in expected]
    assert all((r.p_positive is None) == (e.p_positive is None) for r, e in zip(rows, expected, strict=True))
    assert all(abs(r.p_positive - e.p_positive) < 1e-6 for r, e in zip(rows, expected, strict=True)
               if e.p_positive is not None)  # one batch, as expected was scored (padding shifts int8 logits)
