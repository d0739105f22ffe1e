"""The demo's contests, after the sample month: UGC entries reviewed by a moderator, one contest
decided by members' votes and one by a verifiable random draw.

Everything goes through the real core (``/contest create``, ``/submit`` with
the consent button, ``/ugc approve|feature|reject``, ``/vote``) and the real
scheduler, driven by a demo clock: the creates' re-arm opens both contests
and moving the clock past the end closes them, announcing to a recording
outlet as the adapters would post. The report (``bot.demo.contest_report``)
recomputes the draw with hashlib and hmac, not with the bot's draw code.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.demo.sample import Person, Sample
from bot.demo.timers import own_timers
from bot.scheduler import Scheduler
from handlers.config_model import Program
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.i18n import negotiate
from handlers.replies import Attachment, Button, Reply, TierChanged
from storage import contests
from storage.contests import Contest

VOTE_SUBMITTERS = 8
DRAW_SUBMITTERS = 10
VOTERS = 30
SOURCES = ("contests",)
_SUBMISSION = re.compile(r"#(\d+)")


@dataclass
class Recorder:
    """Stands in for the adapters' outlets: keeps what would have been posted."""

    announced: list[str] = field(default_factory=list)

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        self.announced.append(text)

    async def notify(self, user_id: str, text: str, buttons: tuple[Button, ...] = (),
                     program_id: str | None = None) -> bool:
        return True

    async def deliver(self, community_id: str, channel_id: str | None, text: str,
                      attachments: tuple[Attachment, ...] = ()) -> None:
        """No report channel in the demo: the digest is written to a file instead."""

    async def sync_tier(self, event: TierChanged) -> None:
        """A prize that lifts a tier: no roles to sync in the demo."""


@dataclass
class Outcome:
    """What the demo's contests did, for the report."""

    vote_contest: int
    draw_contest: int
    announcements: list[str]
    refused: Counter[str] = field(default_factory=Counter)


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class ContestDemo:
    def __init__(self, core: Core, program: Program, sample: Sample) -> None:
        self.core, self.program, self.sample = core, program, sample
        self.communities = {c.platform: c.id for c in program.communities}
        self.clock = _Clock(max(e.at for e in sample.events) + timedelta(hours=1))
        self.rng = random.Random(11)
        self.events = 0
        self.refused: Counter[str] = Counter()

    def _ctx(self, platform: str, user_id: str, name: str, *, moderator: bool = False) -> Context:
        self.events += 1
        chinese = any(ord(ch) > 0x4E00 for ch in name)
        return Context(program=self.program, platform=platform, community_id=self.communities[platform],
                       actor=Actor(platform, user_id, name, name.lower()),
                       locale=negotiate("zh" if chinese else "en"), event_id=f"contest-demo-{self.events}",
                       now=self.clock.now, is_moderator=moderator, channel_id="general")

    def _person_ctx(self, person: Person) -> Context:
        platform = sorted(person.accounts)[0]
        return self._ctx(platform, person.accounts[platform], person.name)

    def _mod(self) -> Context:
        return self._ctx("discord", self.sample.moderators["discord"], "mod-ana", moderator=True)

    def _active(self) -> list[Person]:
        """People who chatted in the sample month (so known to the program), most active first."""
        spoke = Counter(e.user_id for e in self.sample.events if e.kind == "message")
        people = [p for p in self.sample.people if any(spoke[u] for u in p.accounts.values())]
        return sorted(people, key=lambda p: -sum(spoke[u] for u in p.accounts.values()))

    async def _command(self, ctx: Context, name: str, args: dict[str, object]) -> Reply:
        reply = await self.core.command(ctx, name, args)
        if not reply.ok:
            self.refused[name] += 1
        return reply

    async def _create(self, title: str, description: str, voting: str, winners: int, prize: int) -> int:
        reply = await self._command(self._mod(), "contest create", {
            "title": title, "description": description, "start": "now", "end": "+2d", "entry_type": "ugc",
            "voting": voting, "winners": str(winners), "prize": str(prize)})
        found = re.search(r"#(\d+)", reply.text)
        if not reply.ok or found is None:
            raise RuntimeError(f"the demo could not create its contest: {reply.text}")
        return int(found.group(1))

    async def _submit(self, person: Person, contest_id: int, text: str) -> int | None:
        """``/submit`` for a contest; the first time, the member is shown the terms and presses I agree."""
        args = {"text": text, "contest": str(contest_id)}
        reply = await self.core.command(self._person_ctx(person), "submit", args)
        consent = [b for b in reply.buttons if b.action.startswith("ugc.consent")]
        if not reply.ok and consent:
            await self.core.action(self._person_ctx(person), consent[0].action)
            reply = await self.core.command(self._person_ctx(person), "submit", args)
        found = _SUBMISSION.search(reply.text)
        if not reply.ok or found is None:
            self.refused["submit"] += 1
            return None
        return int(found.group(1))

    async def _review(self, submissions: list[int], *, featured: int, rejected: int, pending: int) -> None:
        """Approve most; feature, reject and leave pending a few, as a moderator's day goes."""
        for n, submission in enumerate(submissions):
            if n == featured:
                await self._command(self._mod(), "ugc feature", {"submission": str(submission)})
            elif n == rejected:
                await self._command(self._mod(), "ugc reject", {"submission": str(submission),
                                                                "reason": "off topic for this contest"})
            elif n != pending:
                await self._command(self._mod(), "ugc approve", {"submission": str(submission)})

    async def _vote(self, contest_id: int, voters: list[Person]) -> None:
        async with self.core.db.unit_of_work() as session:
            contest = await session.get(Contest, contest_id)
            assert contest is not None
            entries = [c.entry_id for c in await contests.candidates(session, contest)]
        if not entries:
            return
        favourite = self.rng.choice(entries)
        for voter in voters:
            ctx = self._person_ctx(voter)
            first = favourite if self.rng.random() < 0.4 else self.rng.choice(entries)
            picks = {first, self.rng.choice(entries)}
            for entry in sorted(picks):
                await self._command(ctx, "vote", {"entry": str(entry)})

    async def run(self) -> Outcome:
        """The contests' own timers only (``bot.demo.timers``): the other timed jobs have their sections."""
        with own_timers(self.core, self.clock, SOURCES) as scheduler:
            return await self._run(scheduler)

    async def _run(self, scheduler: Scheduler) -> Outcome:
        recorder = Recorder()
        for platform in self.communities:
            self.core.attach_outlet(platform, recorder)
        vote_contest = await self._create("Photo of the month", "Post a photo of your setup; members vote.",
                                          "members", 1, 300)
        draw_contest = await self._create("Launch giveaway", "Tell us what you want next; two are drawn.",
                                          "random", 2, 200)
        active = self._active()
        self.clock.now += timedelta(hours=1)
        voted = [await self._submit(p, vote_contest, f"My setup, shared by {p.name}: desk, lamp and cables")
                 for p in active[:VOTE_SUBMITTERS]]
        drawn = [await self._submit(p, draw_contest, f"{p.name} here: bring back the spring collection")
                 for p in active[-DRAW_SUBMITTERS:]]
        self.clock.now += timedelta(days=1)
        await self._review([s for s in voted if s is not None], featured=0, rejected=3, pending=5)
        await self._review([s for s in drawn if s is not None], featured=-1, rejected=2, pending=-1)
        self.clock.now += timedelta(hours=1)
        await self._vote(vote_contest, active[: VOTE_SUBMITTERS + VOTERS])
        self.clock.now += timedelta(days=1)
        await scheduler.run_due()
        return Outcome(vote_contest, draw_contest, recorder.announced, self.refused)
