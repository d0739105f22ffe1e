"""The demo's campaigns: a double-points window and a member day, run through the real core.

Before the month is replayed a moderator creates a 2x window over the
second weekend (``/campaign create multiplier``), so every message,
reaction and approval made inside it is multiplied as it is replayed. The
member day comes from config (``campaigns.member_days``); when the config
declares none, the demo adds "Member Wednesday" (a flat bonus with each
member's first earning message of every Wednesday). After the replay the
campaign timers run day by day on a demo clock, announcing to a recording
outlet as the adapters would post. The report (``bot.demo.multiplier_report``)
compares points per active member inside and outside the campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.demo.sample import DAYS, START
from bot.demo.timers import own_timers
from handlers.config_model import CampaignSettings, MemberDay, Program, Settings
from handlers.context import Actor, Context
from handlers.core import Core
from handlers.replies import Button

MEMBER_DAY = MemberDay(name="Member Wednesday", weekday="wednesday", bonus=20)
WINDOW_START = START + timedelta(days=9)  # Saturday 10 October, 00:00 in the program's zone
WINDOW_DAYS = 3
WINDOW_TITLE = "Double points weekend"
SOURCES = ("campaigns", "member-days")


def with_member_day(settings: Settings) -> Settings:
    """The demo's settings: the first program gets ``MEMBER_DAY`` unless its config declares member days."""
    first = settings.programs[0]
    if first.campaigns.member_days:
        return settings
    campaigns = CampaignSettings(max_multiplier=first.campaigns.max_multiplier, member_days=(MEMBER_DAY,))
    return settings.model_copy(update={"programs": (first.model_copy(update={"campaigns": campaigns}),
                                                    *settings.programs[1:])})


@dataclass
class Recorder:
    """Stands in for the adapters' outlets: keeps what would have been posted, once per text and time,
    with the communities it went to."""

    announced: dict[tuple[datetime, str], list[str]] = field(default_factory=dict)
    now: datetime = START

    async def announce(self, community_id: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
        self.announced.setdefault((self.now, text), []).append(community_id)

    async def notify(self, user_id: str, text: str) -> bool:
        return True


@dataclass
class Outcome:
    """What the demo's campaigns did, for the report."""

    window_id: int
    created: str
    stats: str
    announcements: dict[tuple[datetime, str], list[str]]


class CampaignDemo:
    def __init__(self, core: Core, program: Program) -> None:
        self.core, self.program = core, program
        self.window_id = 0
        self.created = ""

    def _moderator(self, at: datetime, event: str) -> Context:
        community = self.program.communities[0]
        return Context(program=self.program, platform=community.platform, community_id=community.id,
                       actor=Actor(community.platform, "demo-moderator", "Moderator", "moderator"),
                       locale="en", event_id=event, now=at, is_moderator=True)

    async def create_window(self) -> None:
        """``/campaign create multiplier`` at the start of the month, for the second weekend."""
        end = WINDOW_START + timedelta(days=WINDOW_DAYS)
        reply = await self.core.command(self._moderator(START, "campaign-create"), "campaign create", {
            "kind": "multiplier", "start": f"{WINDOW_START:%Y-%m-%d %H:%M}", "end": f"{end:%Y-%m-%d %H:%M}",
            "multiplier": "2", "scope": "all", "title": WINDOW_TITLE})
        if not reply.ok:
            raise RuntimeError(f"the demo could not create its campaign: {reply.text}")
        self.created = reply.text
        self.window_id = int(reply.text.split("#", 1)[1].split(" ", 1)[0])

    async def run_timers(self) -> Outcome:
        """Run the campaign timers once a day through the month (and moderator ``/campaign stats``)."""
        recorder = Recorder()
        outlets = self.core.outlets
        self.core.outlets = {c.platform: recorder for c in self.program.communities}
        try:
            with own_timers(self.core, lambda: recorder.now, SOURCES) as scheduler:
                for day in range(DAYS + 1):
                    recorder.now = START + timedelta(days=day)
                    await scheduler.run_due()
        finally:
            self.core.outlets = outlets
        end = START + timedelta(days=DAYS)
        stats = await self.core.command(self._moderator(end, "campaign-stats"), "campaign stats",
                                        {"campaign": str(self.window_id)})
        return Outcome(self.window_id, self.created, stats.text, recorder.announced)
