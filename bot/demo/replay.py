"""Feed a sample's events through the real core, as the adapters would."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.demo.sample import Event, Sample
from handlers.config_model import Program
from handlers.context import Actor, Context, MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from handlers.i18n import negotiate

_CODE = re.compile(r"\b([A-Z0-9]{8})\b")
BURST = 64


@dataclass
class Tally:
    messages: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    reactions: int = 0
    commands: Counter[str] = field(default_factory=Counter)
    failed_commands: int = 0
    links: int = 0
    tier_changes: int = 0


class Replayer:
    def __init__(self, core: Core, program: Program, sample: Sample) -> None:
        self.core, self.program, self.sample = core, program, sample
        self.communities = {c.platform: c.id for c in program.communities}
        self.codes: dict[str, str] = {}
        self.tally = Tally()

    def _ctx(self, event: Event, *, moderator: bool = False) -> Context:
        chinese = any(ord(ch) > 0x4E00 for ch in event.name)
        return Context(program=self.program, platform=event.platform, community_id=self.communities[event.platform],
                       actor=Actor(event.platform, event.user_id, event.name, event.name.lower()),
                       locale=negotiate("zh" if chinese else "en"), now=event.at, is_moderator=moderator,
                       event_id=event.payload.get("event_id") or event.payload.get("message_id") or str(event.at),
                       channel_id="general")

    async def replay(self, advance: Callable[[], None]) -> Tally:
        """Replay in time order, a stretch at a time. A stretch runs up to the next
        moderator command or /link step; its messages go in first, many at once as a
        busy chat delivers them (so the core batches them), then its reactions, each
        after the message it is for. The rules judge every message by its own time,
        so the totals are those of a one-by-one replay, in a fraction of the time."""
        stretch: list[Event] = []
        for event in self.sample.events:
            if event.kind in ("message", "reaction"):
                stretch.append(event)
                continue
            await self._stretch(stretch, advance)
            await getattr(self, f"_{event.kind}")(event)
            advance()
        await self._stretch(stretch, advance)
        return self.tally

    async def _stretch(self, events: list[Event], advance: Callable[[], None]) -> None:
        messages = [e for e in events if e.kind == "message"]
        for start in range(0, len(messages), BURST):
            burst = messages[start : start + BURST]
            await asyncio.gather(*(self._message(event) for event in burst))
            for _ in burst:
                advance()
        for event in events:
            if event.kind == "reaction":
                await self._reaction(event)
                advance()
        events.clear()

    async def _message(self, event: Event) -> None:
        outcome = await self.core.message(self._ctx(event), IncomingMessage(event.payload["message_id"],
                                                                           event.payload["text"]))
        self.tally.messages += 1
        self.tally.tier_changes += len(outcome.events)
        if outcome.refusal:
            self.tally.refusals[outcome.refusal] += 1

    async def _reaction(self, event: Event) -> None:
        outcome = await self.core.reaction(self._ctx(event), event.payload["message_id"], True)
        self.tally.reactions += 1 if outcome.delta else 0

    async def _command(self, event: Event) -> None:
        p = event.payload
        ref = MemberRef(p.get("member_platform", event.platform), p["member"])
        args = {"member": ref, "amount": p.get("amount"), "reason": p.get("reason")}
        reply = await self.core.command(self._ctx(event, moderator=True), p["command"], args)
        self.tally.commands[p["command"]] += 1
        self.tally.failed_commands += 0 if reply.ok else 1
        self.tally.tier_changes += len(reply.events)

    async def _link_issue(self, event: Event) -> None:
        reply = await self.core.command(self._ctx(event), "link", {})
        found = _CODE.search(reply.text)
        if found:
            self.codes[event.payload["person"]] = found.group(1)

    async def _link_redeem(self, event: Event) -> None:
        code = self.codes.get(event.payload["person"])
        reply = await self.core.command(self._ctx(event), "link", {"code": code})
        self.tally.links += 1 if reply.ok else 0
