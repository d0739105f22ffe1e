"""The one seam that decides what an earning posting is worth: messages, reactions, approved content.

The rule (README "Campaigns"):

- Campaigns: every window whose scope covers the posting's kind and whose
  ``[start, end)`` holds the posting's own time, and the member day of the
  posting's local day (when it has a multiplier and its scope covers the
  kind). Overlapping ones do not stack: the HIGHEST applies (a tie goes to
  the oldest window, then the member day).
- Tier: the member's tier multiplier is a separate perk, applied on top:
  points = base x campaign x tier (Gold 1.5 in a 2x window earns 3x).
  The tier is the one the member held when the batch started (under the
  rolling downgrade rule, the tier it holds them at).
- One rounding, at the end, to whole points, half up (5 x 1.25 = 6.25 -> 6,
  5 x 1.5 = 7.5 -> 8).
- The entry's note names what applied (``campaign:12 x2``,
  ``member-day:Member Wednesday x2``, ``tier Gold x1.5``, joined by ``, ``,
  before the entry's own note), inside the hashed entry, so the ledger
  itself says which campaign paid and ``ledger verify`` covers it.

Member days with a flat bonus pay it with the member's first earning
message or approved submission of that local day (not with a reaction
received: that is someone else's action, and can be withdrawn), keyed
``member-day:{program}:{member}:{day}`` so it is paid once.

``load`` reads what a batch needs once (the windows overlapping the batch's
times, and the members' lifetimes when a tier has a multiplier), so a burst
of chat costs two reads, not two per message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.campaigns import member_days, tier_perks
from handlers.config_model import CAMPAIGN_SCOPES, MemberDay, Program, Tier
from storage import campaigns, member_campaigns
from storage.campaigns import Window
from storage.ledger import Posting
from storage.models import Reason

MESSAGES, REACTIONS, UGC, ALL = CAMPAIGN_SCOPES
ONE = Decimal(1)


def shown(multiplier: Decimal) -> str:
    """``2``, ``1.5``, ``1.25``: no trailing zeros."""
    text = f"{multiplier.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


def whole(points: Decimal) -> int:
    return int(points.quantize(ONE, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Applied:
    """A posting's worth: ``points`` and the note naming what multiplied it ("" when nothing did)."""

    points: int
    note: str = ""

    def noted(self, own: str = "") -> str:
        """The entry's note: what applied, then the entry's own note."""
        return ", ".join(part for part in (self.note, own) if part)


def _covers(scope: str, kind: str) -> bool:
    return scope in (ALL, kind)


@dataclass
class Rates:
    """Multipliers of one program for one batch of postings (see ``load``)."""

    program: Program
    windows: list[Window]
    tiers_by_member: dict[int, Tier] = field(default_factory=dict)
    _bonus_given: set[tuple[int, date]] = field(default_factory=set, init=False)

    def local_day(self, at: datetime) -> date:
        return at.replace(tzinfo=UTC).astimezone(ZoneInfo(self.program.timezone)).date()

    def campaign(self, at: datetime, kind: str) -> tuple[Decimal, str]:
        """The highest campaign multiplier in effect for this kind at ``at``, and its note token."""
        best, token = ONE, ""
        for window in self.windows:
            if window.start_at <= at < window.end_at and _covers(window.scope, kind) and \
                    (not token or window.multiplier > best):
                best = window.multiplier
                token = f"{campaigns.note_prefix(window.id)}{shown(window.multiplier)}"
        day = member_days.on(self.program, self.local_day(at))
        if day is not None and day.multiplier is not None and _covers(day.scope, kind) and \
                (not token or day.multiplier > best):
            best, token = day.multiplier, f"{campaigns.member_day_note(day.name)} x{shown(day.multiplier)}"
        return best, token

    def apply(self, member_id: int, at: datetime, kind: str, base: int) -> Applied:
        """What ``base`` points of this kind, earned at ``at`` by the member, are worth."""
        if base <= 0:
            return Applied(base)
        factor, token = self.campaign(at, kind)
        tier = self.tiers_by_member.get(member_id)
        tokens = [token] if token else []
        if tier is not None and tier.multiplier != ONE:
            factor *= tier.multiplier
            tokens.append(f"tier {tier.name} x{shown(tier.multiplier)}")
        return Applied(whole(Decimal(base) * factor), ", ".join(tokens))

    def first_action_bonus(self, member_id: int, at: datetime, kind: str) -> list[Posting]:
        """The member day's flat bonus with the member's first earning action of the day: a posting to
        add (the ledger key keeps it to once per member and day), or nothing."""
        day = self.local_day(at)
        found: MemberDay | None = member_days.on(self.program, day)
        if found is None or found.bonus is None or kind == REACTIONS or not _covers(found.scope, kind) \
                or (member_id, day) in self._bonus_given:
            return []
        self._bonus_given.add((member_id, day))
        return [Posting(program_id=self.program.id, member_id=member_id, delta=found.bonus,
                        reason=Reason.MEMBER_DAY_BONUS, created_at=at,
                        note=campaigns.member_day_note(found.name),
                        idempotency_key=f"member-day:{self.program.id}:{member_id}:{day.isoformat()}",
                        reference=f"member-day:{day.isoformat()}")]


async def load(session: AsyncSession, program: Program, member_ids: set[int], start: datetime,
               end: datetime) -> Rates:
    """Everything ``Rates`` needs for postings by these members between ``start`` and ``end``."""
    windows = await campaigns.windows(session, program.id, start, end)
    return Rates(program, windows, await _tiers(session, program, member_ids))


async def _tiers(session: AsyncSession, program: Program, member_ids: set[int]) -> dict[int, Tier]:
    """The tier each member holds (``tier_perks.effective``: lifetime, or the tier the rolling rule
    holds them at); read only when some tier has a multiplier."""
    if not member_ids or all(t.multiplier == ONE for t in program.tiers):
        return {}
    lifetimes = await campaigns.lifetimes(session, program.id, member_ids)
    held = await member_campaigns.held_tiers(session, program.id, member_ids) \
        if program.tier_rule == tier_perks.ROLLING else {}
    by_name = {t.name: t for t in program.tiers}
    return {m: by_name[tier_perks.effective(program, lifetimes.get(m, 0), held.get(m))] for m in member_ids}
