"""The batching worker that scores pending messages off the hot path.

It lives with the runtime because it joins the model (``sentiment``, which
depends on nothing of ours) to the database (``storage``).

Ingestion only stores a message as pending. This worker collects up to
``batch_size`` pending texts (or fewer once the oldest has waited
``max_wait_seconds``), scores them in a thread, or in a process of its own
(``sentiment.process``), so the event loop keeps serving chat, and writes the
batch's results in one statement, each only over a message still pending. A
crash at any point leaves unwritten messages pending, to be picked up on the
next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog

from sentiment.process import ScoringProcess
from sentiment.scoring import Score, Scorer, score_safely
from storage import sentiment_store
from storage.database import Database
from storage.ledger import utcnow

log = structlog.get_logger(__name__)


class SentimentWorker:
    def __init__(self, db: Database, scorer: Scorer | ScoringProcess, batch_size: int = 64,
                 max_wait_seconds: float = 2.0) -> None:
        self.db = db
        self.scorer = scorer
        self.batch_size = batch_size
        self.max_wait = max_wait_seconds
        self._waiting_since: float | None = None
        self._stopping = asyncio.Event()

    async def _score(self, texts: list[str]) -> list[Score]:
        """Never raises for a bad text (``score_safely``)."""
        if isinstance(self.scorer, ScoringProcess):
            return await self.scorer.score(texts)
        return await asyncio.to_thread(score_safely, self.scorer, texts)

    def _ready(self, found: int, force: bool) -> bool:
        if force or found >= self.batch_size:
            return True
        now = time.monotonic()
        self._waiting_since = self._waiting_since or now
        return now - self._waiting_since >= self.max_wait

    async def run_once(self, force: bool = False) -> int:
        """Score one batch; return how many results were written."""
        async with self.db.unit_of_work() as session:
            batch = await sentiment_store.pending(session, self.batch_size)
        if not batch or not self._ready(len(batch), force):
            return 0
        self._waiting_since = None
        scores = await self._score([p.text for p in batch])
        results = [{"id": item.id, "sentiment_label": score.label, "p_negative": score.p_negative,
                    "p_neutral": score.p_neutral, "p_positive": score.p_positive,
                    "language": score.language[:16], "model_version": score.model_version[:64]}
                   for item, score in zip(batch, scores, strict=True)]
        async with self.db.unit_of_work() as session:
            return await sentiment_store.save(session, results, utcnow())

    async def drain(self) -> int:
        total = 0
        while written := await self.run_once(force=True):
            total += written
        return total

    def stop(self) -> None:
        """Ask ``run`` to return once the batch in hand is written, so a stop
        never cuts a database call short."""
        self._stopping.set()

    async def run(self, poll_seconds: float = 0.5) -> None:
        """Score until ``stop`` (``engagebot run``); errors are logged, never fatal."""
        while not self._stopping.is_set():
            try:
                if await self.run_once():
                    continue
            except Exception:
                log.exception("sentiment worker iteration failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), poll_seconds)
