"""Updates handled concurrently, in arrival order where the rules need it.

Each update names the lanes it uses and how. An exclusive use waits for
everything before it on that lane and holds up everything after it; a shared
use waits only for the exclusive uses before it and holds up only exclusive
uses after it; an observing use waits for everything before it and holds up
nothing. So:

- a member's messages reach the core's MessageBatcher in arrival order (they
  start in order and nothing before the batcher yields), and the batcher
  applies cooldown, daily cap, duplicates and streaks in that order, so they
  may share a lane and a batch; a command that changes the member (``/link``)
  has the member's lane to itself;
- a read-only command such as ``/points`` waits for the member's earlier
  updates (its answer includes them) but never holds up the next one;
- a reaction runs after the message it reacts to;
- a moderator command, and a membership change (which may change who
  moderates), runs after everything before it in its chat and before
  everything after it, so ``/freeze`` then a message means what it says;
  ``/ugc approve`` is a moderator command by its subcommand, and a command
  may be a photo's caption (``routing``);
- a button press is a command of the member who pressed it, in the group the
  button belongs to (a moderator's button by the action's permission);
- everything else in a chat runs side by side: one member's reply waiting on
  Telegram's rate limit never holds up another member's points.

PTB hands updates over in arrival order (its concurrency semaphore is
first-come first-served), and each takes its places on the lanes before it
waits for anything. An update only ever waits for earlier ones, which already
hold their concurrency slots, so the oldest waiting update can always run.
Commands also share a few slots of their own: a storm of sixty commands then
queues for the database behind those few, not in front of ordinary messages.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.telegram import keyboards, routing
from bot.telegram.intake import Intake
from handlers import actions
from handlers.commands import Permission

Lane = tuple[Hashable, ...]
EXCLUSIVE, SHARED, OBSERVE = "exclusive", "shared", "observe"
Use = tuple[Lane, str]
# Commands that only read: their answers never change anyone's points, so nothing waits for them.
READ_ONLY_COMMANDS = frozenset({"points", "leaderboard", "profile", "help"})
COMMAND_SLOTS = 4


def lanes(update: object) -> list[Use]:
    """The lanes an update uses, each with how it uses them."""
    if not isinstance(update, Update):
        return []
    chat, user = update.effective_chat, update.effective_user
    if update.chat_member is not None or update.my_chat_member is not None:
        return [(("chat", chat.id), EXCLUSIVE)] if chat is not None else []
    if update.callback_query is not None:
        return _press_lanes(update)
    message = update.message or update.edited_message
    parts = routing.split(routing.command_text(message) if message is not None else None)
    found = routing.resolve(parts[0], parts[2]) if parts is not None else None
    if isinstance(found, routing.GroupUsage) or \
            (isinstance(found, routing.Invocation) and found.spec.name in READ_ONLY_COMMANDS):
        return [(("user", user.id), OBSERVE)] if user is not None else []
    uses: list[Use] = []
    if chat is not None:
        moderating = isinstance(found, routing.Invocation) and found.spec.permission is Permission.MODERATOR
        uses.append((("chat", chat.id), EXCLUSIVE if moderating else SHARED))
    if user is not None:
        uses.append((("user", user.id), EXCLUSIVE if parts is not None else SHARED))
    if message is not None:
        uses.append((("message", message.chat.id, message.message_id), EXCLUSIVE))
    elif update.message_reaction is not None:
        reaction = update.message_reaction
        uses.append((("message", reaction.chat.id, reaction.message_id), EXCLUSIVE))
    return uses


def _press_lanes(update: Update) -> list[Use]:
    query = update.callback_query
    assert query is not None
    routed = keyboards.decode(query.data, query.message.chat if query.message is not None else None)
    uses: list[Use] = [(("user", query.from_user.id), EXCLUSIVE)]
    if routed is not None:
        spec = actions.BY_NAME.get(actions.parse(routed[1])[0])
        moderating = spec is not None and spec.permission is Permission.MODERATOR
        uses.append((("chat", routed[0]), EXCLUSIVE if moderating else SHARED))
    return uses


def is_command(update: object) -> bool:
    """Commands and button presses share the command slots."""
    if not isinstance(update, Update):
        return False
    if update.callback_query is not None:
        return True
    return update.message is not None and routing.command_text(update.message) is not None


@dataclass
class _Lane:
    exclusive: asyncio.Future[None] | None = None
    shared: set[asyncio.Future[None]] = field(default_factory=set)


class Lanes:
    """Per-lane order of entry, as futures to wait on."""

    def __init__(self) -> None:
        self._lanes: dict[Lane, _Lane] = {}

    def enter(self, uses: Sequence[Use]) -> tuple[asyncio.Future[None], list[asyncio.Future[None]]]:
        """Take a place on each lane now; returns (my future, the futures to wait for)."""
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        before: list[asyncio.Future[None]] = []
        for key, how in uses:
            lane = self._lanes.get(key)
            if lane is not None and lane.exclusive is not None:
                before.append(lane.exclusive)
            if how == OBSERVE:
                before.extend(lane.shared if lane is not None else ())
                continue
            lane = lane or self._lanes.setdefault(key, _Lane())
            if how == EXCLUSIVE:
                before.extend(lane.shared)
                lane.exclusive, lane.shared = mine, set()
            else:
                lane.shared.add(mine)
        return mine, before

    def leave(self, uses: Sequence[Use], mine: asyncio.Future[None]) -> None:
        if not mine.done():
            mine.set_result(None)
        for key, _ in uses:
            lane = self._lanes.get(key)
            if lane is None:
                continue
            lane.shared.discard(mine)
            if lane.exclusive is mine:
                lane.exclusive = None
            if lane.exclusive is None and not lane.shared:
                del self._lanes[key]

    def __len__(self) -> int:
        return len(self._lanes)


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """PTB's concurrent update processing with lanes, reporting each update to the intake."""

    def __init__(self, max_concurrent_updates: int, intake: Intake) -> None:
        super().__init__(max_concurrent_updates)
        self.intake = intake
        self.lanes = Lanes()
        self.command_slots = asyncio.Semaphore(COMMAND_SLOTS)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        uses = lanes(update)
        mine, before = self.lanes.enter(uses)
        try:
            if before:
                await asyncio.wait(before)
            if is_command(update):
                async with self.command_slots:
                    await coroutine
            else:
                await coroutine
        except BaseException:
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            self.intake.abandon(update)
            raise
        finally:
            self.lanes.leave(uses, mine)
        await self.intake.finish(update)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
