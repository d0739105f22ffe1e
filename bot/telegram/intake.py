"""Updates in: every Telegram update is in the inbox before Telegram is told it arrived.

Polling: ``InboxBot.get_updates`` stores each batch in one transaction before
it returns, and python-telegram-bot's Updater moves the offset (which confirms
the batch to Telegram on its next call) only after that, keeping its own
retries and back-off. Webhook: PTB's request handler hands each update to
``IntakeQueue.put``, which stores it before the handler answers 200; if the
store fails, ``put`` raises and the handler answers 500, so Telegram sends the
update again.

Either way an update is handled once: one already done (redelivered after a
restart) or already in flight is not handed to the Application again, and what
the inbox still holds at start-up is handled before anything new is fetched.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

from storage import inbox
from storage.database import Database
from storage.inbox import Pending

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
REPLAY_CHUNK = 500


class InboxUnavailable(TelegramError):
    """The inbox could not store a batch; PTB's polling loop backs off and asks again,
    and since the offset did not move, Telegram sends the same updates."""


class Intake:
    """The inbox side of update handling: what is stored, in flight, settled or failed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.bot_id = 0
        self._bot: Bot | None = None
        self._forward: asyncio.Queue[object] | None = None
        self._verdicts: dict[int, int | None] = {}
        self._inflight: dict[int, int] = {}
        self._settled: set[int] = set()
        self._failed: dict[int, tuple[Update, int]] = {}
        self._retries: dict[int, int] = {}
        self._unmarked: list[int] = []
        self._marker: asyncio.Task[None] | None = None

    def bind(self, bot: Bot, forward: asyncio.Queue[object]) -> None:
        """Attach the initialised bot (its id keys the inbox) and the Application's queue."""
        self._bot, self.bot_id, self._forward = bot, bot.id, forward

    async def store(self, updates: Sequence[Update], raw: Mapping[int, str] | None = None) -> None:
        """Write ``updates`` to the inbox in one transaction and decide which to hand on.
        ``raw``: the JSON Telegram sent, by update id, stored as it came (serialising PTB's
        objects again costs more than the rest of an update's intake)."""
        raw = raw or {}
        payloads = [(u.update_id, raw.get(u.update_id) or u.to_json()) for u in updates]
        stored = await self.db.run(lambda session: inbox.store(session, self.bot_id, payloads))
        for update in updates:
            row = stored[update.update_id]
            fresh = not row.done and update.update_id not in self._inflight
            self._verdicts[update.update_id] = row.inbox_id if fresh else None

    async def put(self, update: object) -> None:
        """Hand an update to the Application, storing it first if it is not stored yet."""
        if not isinstance(update, Update):
            await self._queue().put(update)
            return
        if update.update_id not in self._verdicts:
            await self.store([update])
        row = self._verdicts.pop(update.update_id)
        if row is not None:
            await self._admit(update, row)

    def inbox_id(self, update: Update) -> int | None:
        """The inbox row an update in flight came from (the core marks it done)."""
        return self._inflight.get(update.update_id)

    def settled(self, update: Update) -> None:
        """The core marked the update done in the transaction of its effects."""
        self._settled.add(update.update_id)

    def failed(self, update: object) -> None:
        """A handler raised: the update stays pending, to be tried again."""
        if isinstance(update, Update) and update.update_id in self._inflight:
            self._failed[update.update_id] = (update, self._inflight[update.update_id])

    def abandon(self, update: object) -> None:
        """Handling was cancelled (shutdown): the update stays pending for the next start."""
        if isinstance(update, Update):
            self._forget(update.update_id)

    async def finish(self, update: object) -> None:
        """After the Application handled an update: mark done what nothing else marked."""
        if not isinstance(update, Update):
            return
        uid = update.update_id
        row, settled = self._inflight.get(uid), uid in self._settled
        if uid in self._failed:
            self._inflight.pop(uid, None)
            self._settled.discard(uid)
            return
        self._forget(uid)
        if row is None or settled:
            return
        self._unmarked.append(row)
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._mark_unmarked())

    async def _mark_unmarked(self) -> None:
        """Mark done, in one transaction per round, the updates that changed nothing in the
        database (ignored updates, refusals, read-only commands). Losing this to a crash
        only means handling them once more at start-up, which changes nothing either."""
        while self._unmarked:
            rows, self._unmarked = self._unmarked, []
            try:
                await self.db.run(partial(inbox.mark_done, ids=rows))
            except SQLAlchemyError as exc:
                log.warning("telegram updates handled but not marked done; handled again at start-up",
                            count=len(rows), error=repr(exc))

    async def flush(self) -> None:
        """Wait until handled updates are marked done (at shutdown)."""
        if self._marker is not None:
            await self._marker

    async def retry_failed(self) -> int:
        """Hand failed updates to the Application again, up to ``MAX_ATTEMPTS`` in this process."""
        again = 0
        for uid, (update, row) in list(self._failed.items()):
            del self._failed[uid]
            self._retries[uid] = self._retries.get(uid, 1) + 1
            if self._retries[uid] > MAX_ATTEMPTS:
                log.error("telegram update keeps failing; left in the inbox for the next start", update_id=uid)
                del self._retries[uid]
                continue
            await self._admit(update, row)
            again += 1
        return again

    async def replay(self) -> int:
        """Handle what the inbox still holds, oldest first, and wait until it is handled."""
        after, handed = -1, 0
        while True:
            rows, spent = await self.db.run(partial(self._claim, after=after))
            for row in spent:
                log.error("telegram update given up after repeated failures", update_id=row.update_id,
                          attempts=row.attempts)
            if not rows and not spent:
                return handed
            after = max(r.update_id for r in [*rows, *spent])
            for row in rows:
                update = Update.de_json(json.loads(row.payload), self._bot)
                await self._admit(update, row.inbox_id)
            handed += len(rows)
            await self._queue().join()

    async def _claim(self, session: AsyncSession, after: int) -> tuple[list[Pending], list[Pending]]:
        """The next pending rows, each counted as one more attempt; rows out of attempts are
        marked done instead so one poisonous update cannot fail every start."""
        rows = await inbox.pending(session, self.bot_id, REPLAY_CHUNK, after)
        await inbox.count_attempt(session, [r.inbox_id for r in rows])
        spent = [r for r in rows if r.attempts >= MAX_ATTEMPTS]
        await inbox.mark_done(session, [r.inbox_id for r in spent])
        return [r for r in rows if r.attempts < MAX_ATTEMPTS], spent

    async def prune(self, keep_hours: int, keep_updates: int) -> int:
        """Delete handled updates older than ``keep_hours`` or beyond the newest ``keep_updates``."""
        before = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=keep_hours)
        removed = await self.db.run(lambda session: inbox.prune(session, self.bot_id, before, keep_updates))
        if removed:
            log.info("telegram inbox pruned", removed=removed)
        return removed

    async def _admit(self, update: Update, row: int) -> None:
        self._inflight[update.update_id] = row
        await self._queue().put(update)

    def _forget(self, uid: int) -> None:
        self._inflight.pop(uid, None)
        self._settled.discard(uid)
        self._retries.pop(uid, None)

    def _queue(self) -> asyncio.Queue[object]:
        assert self._forward is not None, "Intake.bind() first"
        return self._forward


class InboxBot(ExtBot[Any]):
    """An ExtBot whose getUpdates stores each batch in the inbox before returning it."""

    __slots__ = ("_intake", "_raw")

    def __init__(self, intake: Intake, **kwargs: Any) -> None:
        self._intake = intake
        self._raw: dict[int, str] = {}
        super().__init__(**kwargs)

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        """Keep getUpdates' answer as JSON text, taken before PTB parses it into objects."""
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            self._raw.clear()
            self._raw.update((u["update_id"], json.dumps(u)) for u in result)
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        raw = dict(self._raw)
        self._raw.clear()
        if updates:
            try:
                await self._intake.store(updates, raw)
            except (SQLAlchemyError, OSError) as exc:
                raise InboxUnavailable(f"could not store {len(updates)} updates: {exc!r}") from exc
        return updates


class IntakeQueue:
    """What PTB's Updater puts updates into; each goes through the intake to the Application."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake

    async def put(self, update: object) -> None:
        await self.intake.put(update)
