"""Group messages that arrive together into one unit of work.

While one batch is being written, new messages queue; the next batch takes
them all (up to ``max_batch``). A quiet chat therefore sees no added delay (a
batch of one), and a burst costs a few transactions instead of hundreds. A
batch that lost a race with another process is run again whole
(``Database.run``); one that fails otherwise is retried one message at a
time, so a single bad message cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
from itertools import groupby

from handlers import engagement
from handlers.context import Context
from handlers.engagement import IncomingMessage, MessageOutcome
from storage import inbox
from storage.database import Database

Pending = tuple[Context, IncomingMessage, "asyncio.Future[MessageOutcome]"]


class MessageBatcher:
    def __init__(self, db: Database, max_batch: int = 256) -> None:
        self.db = db
        self.max_batch = max_batch
        self._queue: list[Pending] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, ctx: Context, message: IncomingMessage) -> MessageOutcome:
        future: asyncio.Future[MessageOutcome] = asyncio.get_running_loop().create_future()
        self._queue.append((ctx, message, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def flush(self) -> None:
        """Wait until every message submitted so far is written (at shutdown)."""
        while self._drainer is not None and not self._drainer.done():
            await asyncio.wait([self._drainer])

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            ordered = sorted(batch, key=lambda p: p[0].program.id)
            for _, group in groupby(ordered, key=lambda p: p[0].program.id):
                await self._process(list(group))

    async def _process(self, group: list[Pending]) -> None:
        pairs = [(ctx, message) for ctx, message, _ in group]
        try:
            outcomes = await self.db.run(inbox.marking_done(lambda session: engagement.on_messages(session, pairs),
                                                            [ctx.inbox_id for ctx, _ in pairs]))
        except Exception as exc:
            if len(group) == 1:
                if not group[0][2].done():
                    group[0][2].set_exception(exc)
                return
            for single in group:
                await self._process([single])
            return
        for (_, _, future), outcome in zip(group, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)
