"""Scoring off the hot path: pending -> scored, crash-safe, exactly once in effect."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from sqlalchemy import func, select

from bot.sentiment_worker import SentimentWorker
from handlers.core import Core
from handlers.engagement import IncomingMessage
from sentiment.scoring import Scorer
from storage import sentiment_store
from storage.models import Message
from tests.conftest import ctx


class Keyword:
    """A deterministic stand-in model: 'love' positive, 'hate' negative."""

    version = "keyword-1"
    languages = frozenset({"en", "zh"})

    def __init__(self) -> None:
        self.calls = 0

    def probabilities(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        rows = [[0.1, 0.1, 0.8] if "love" in t else [0.8, 0.1, 0.1] if "hate" in t else [0.1, 0.8, 0.1]
                for t in texts]
        return np.array(rows)


async def _ingest(core: Core, texts: list[str]) -> None:
    for i, text in enumerate(texts):
        await core.message(ctx(core, str(i)), IncomingMessage(f"m{i}", text))


async def _statuses(core: Core) -> dict[str, int]:
    async with core.db.unit_of_work() as s:
        return dict((await s.execute(select(Message.sentiment_status, func.count()).group_by(
            Message.sentiment_status))).all())


TEXTS = ["I love this community so much", "I hate the new update", "the event is on friday", "https://x.co/a", "gm"]


async def test_worker_scores_pending_messages(core: Core) -> None:
    await _ingest(core, TEXTS)
    assert await _statuses(core) == {"pending": 5}
    worker = SentimentWorker(core.db, Scorer(Keyword()), batch_size=2)
    assert await worker.drain() == 5
    async with core.db.unit_of_work() as s:
        rows = (await s.execute(select(Message.text, Message.sentiment_label, Message.model_version)
                                .order_by(Message.id))).all()
    assert [r.sentiment_label for r in rows] == ["positive", "negative", "neutral", "unscored", "neutral"]
    assert {r.model_version for r in rows} == {"keyword-1"}


async def test_crash_before_write_leaves_work_pending(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    await _ingest(core, TEXTS)
    worker = SentimentWorker(core.db, Scorer(Keyword()), batch_size=10)

    async def crash(*_: object, **__: object) -> bool:
        raise RuntimeError("killed while writing results")

    with monkeypatch.context() as patch:
        patch.setattr(sentiment_store, "save", crash)
        with pytest.raises(RuntimeError):
            await worker.run_once(force=True)
    assert await _statuses(core) == {"pending": 5}
    assert await worker.drain() == 5
    assert await _statuses(core) == {"scored": 5}


async def test_racing_workers_write_each_result_once(core: Core) -> None:
    await _ingest(core, TEXTS)
    workers = [SentimentWorker(core.db, Scorer(Keyword()), batch_size=10) for _ in range(3)]
    written = await asyncio.gather(*[w.run_once(force=True) for w in workers])
    assert sum(written) == 5 and await _statuses(core) == {"scored": 5}


async def test_partial_batch_waits_for_max_wait(core: Core) -> None:
    await _ingest(core, TEXTS[:1])
    worker = SentimentWorker(core.db, Scorer(Keyword()), batch_size=10, max_wait_seconds=0.2)
    assert await worker.run_once() == 0
    await asyncio.sleep(0.25)
    assert await worker.run_once() == 1


async def test_failing_model_marks_unscored_not_crash(core: Core) -> None:
    await _ingest(core, TEXTS[:2])

    class Broken(Keyword):
        def probabilities(self, texts: list[str]) -> np.ndarray:
            raise ValueError("model exploded")

    assert await SentimentWorker(core.db, Scorer(Broken())).drain() == 2
    async with core.db.unit_of_work() as s:
        assert set((await s.scalars(select(Message.sentiment_label))).all()) == {"unscored"}


async def test_rescore_requeues_after_model_change(core: Core) -> None:
    await _ingest(core, TEXTS)
    await SentimentWorker(core.db, Scorer(Keyword())).drain()
    async with core.db.unit_of_work() as s:
        assert await sentiment_store.requeue(s, ctx(core).now) == 5
    assert await _statuses(core) == {"pending": 5}


async def test_stop_lets_run_finish_its_batch_and_return(core: Core) -> None:
    await _ingest(core, TEXTS[:3])
    worker = SentimentWorker(core.db, Scorer(Keyword()), batch_size=3)
    running = asyncio.create_task(worker.run(poll_seconds=30))
    for _ in range(200):
        if await _statuses(core) == {"scored": 3}:
            break
        await asyncio.sleep(0.02)
    worker.stop()
    await asyncio.wait_for(running, 2)
    assert running.done() and not running.cancelled() and await _statuses(core) == {"scored": 3}
