"""Which invite a Discord member joined through: exactly, or not at all.

Discord does not say which invite a joining member used; the only evidence is
the invites' use counts. The bot keeps them per guild (read when the guild
becomes available, kept current by INVITE_CREATE, INVITE_DELETE and its own
new invites), reads them again at each join and compares. Joins of a guild
are handled one at a time, in gateway order, so each comparison sees the
rises since the previous join. A rise that no join has accounted for yet
stays pending: when two members join at the same moment through two
invites, both find the same two rises and both are recorded ambiguous, so
neither inviter is credited for the other's friend.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import discord
import structlog

from bot.discord.translate import utc_naive
from handlers.clock import utcnow
from handlers.membership import Attribution, JoinEvidence

log = structlog.get_logger(__name__)
VANITY = "vanity URL"
# Discord's clock (a member's joined_at) against ours (when counts were read).
CLOCK_SKEW = timedelta(seconds=5)


@dataclass(frozen=True)
class Counts:
    """Use counts at one moment: per invite code, and of the vanity URL (None when the guild has none)."""

    invites: Mapping[str, int]
    vanity: int | None


@dataclass(frozen=True)
class Pending:
    """Rises read at ``seen_at`` that no join has accounted for yet; ``sources`` could explain them."""

    sources: frozenset[str]
    units: int
    seen_at: datetime


@dataclass(frozen=True)
class Verdict:
    attribution: Attribution
    evidence: str
    invite: str | None
    pending: Pending | None


def rises(before: Counts, after: Counts) -> dict[str, int]:
    """How much each source rose. An invite the cache never saw started at 0 uses; a vanity URL
    that appeared since gives no baseline, so it counts as unchanged."""
    out = {code: uses - before.invites.get(code, 0) for code, uses in after.invites.items()
           if uses > before.invites.get(code, 0)}
    if after.vanity is not None and before.vanity is not None and after.vanity > before.vanity:
        out[VANITY] = after.vanity - before.vanity
    return out


def _describe(rose: Mapping[str, int], before: Counts, after: Counts) -> str:
    def one(source: str) -> str:
        was, now = (before.vanity, after.vanity) if source == VANITY else \
            (before.invites.get(source, 0), after.invites[source])
        return f"{source} {was}->{now}"
    return ", ".join(one(s) for s in sorted(rose))


def judge(before: Counts, after: Counts, pending: Pending | None, now: datetime) -> Verdict:
    """The attribution of one join from the counts before and after it and the rises still pending.

    Exact only when nothing is pending and exactly one invite rose, by exactly one; ambiguous when
    more than one use could be this join's; unattributed when only the vanity URL or nothing rose."""
    rose = rises(before, after)
    units = sum(rose.values()) + (pending.units if pending else 0)
    sources = frozenset(rose) | (pending.sources if pending else frozenset())
    left = Pending(sources, units - 1, now) if units > 1 else None
    seen = _describe(rose, before, after)
    earlier = f"; pending from earlier joins: {', '.join(sorted(pending.sources))}" if pending else ""
    if units == 0:
        gone = sorted(set(before.invites) - set(after.invites))
        tail = f"; invites gone since the last read: {', '.join(gone)}" if gone else ""
        return Verdict("unattributed", f"no invite use count rose{tail}", None, None)
    if sources == {VANITY}:
        return Verdict("unattributed", f"only the vanity URL's use count rose ({seen or 'pending'}{earlier})",
                       None, left)
    if pending is None and len(rose) == 1 and next(iter(rose.values())) == 1:
        (code,) = rose
        return Verdict("exact", f"invite {code} rose by one ({seen})", code, None)
    return Verdict("ambiguous", f"uses that could be this join's: {units}; candidates: {', '.join(sorted(sources))} "
                   f"(rose: {seen or 'none'}{earlier})", None, left)


class InviteTracker:
    """The use-count cache of every guild the bot is in, and the join attribution built on it."""

    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot
        self.counts: dict[int, Counts] = {}
        self.pending: dict[int, Pending] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._blind: set[int] = set()

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def _read(self, guild: discord.Guild) -> Counts:
        """Needs Manage Server: raises ``discord.Forbidden`` without it."""
        invites = {invite.code: invite.uses or 0 for invite in await guild.invites()}
        vanity = None
        if "VANITY_URL" in guild.features:
            payload = await self.bot.http.get_vanity_code(guild.id)
            vanity = int(payload.get("uses", 0)) if payload.get("code") else None
        return Counts(invites, vanity)

    async def _reread(self, guild: discord.Guild) -> Counts | str:
        """The counts now, or why they cannot be read; a missing right is logged once per guild."""
        try:
            counts = await self._read(guild)
        except discord.Forbidden:
            self.counts.pop(guild.id, None)
            self.pending.pop(guild.id, None)
            if guild.id not in self._blind:
                self._blind.add(guild.id)
                log.warning("cannot read invite use counts: joins are recorded unattributed until the bot has "
                            "the Manage Server permission", guild=guild.id)
            return "invite use counts unreadable: the bot lacks the Manage Server permission"
        except discord.HTTPException as exc:
            log.warning("could not read invite use counts", guild=guild.id, status=exc.status, error=exc.text)
            return f"invite use counts could not be read (HTTP {exc.status})"
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not read invite use counts", guild=guild.id, error=repr(exc))
            return "invite use counts could not be read (Discord unreachable)"
        self._blind.discard(guild.id)
        return counts

    async def refresh(self, guild: discord.Guild) -> None:
        """A fresh baseline (the guild became available: start-up, after an outage or a new session)."""
        async with self._lock(guild.id):
            counts = await self._reread(guild)
            self.pending.pop(guild.id, None)
            if isinstance(counts, Counts):
                self.counts[guild.id] = counts

    def created(self, guild_id: int, code: str, uses: int = 0) -> None:
        """An invite appeared (INVITE_CREATE, or one the bot made); a count already read is newer."""
        known = self.counts.get(guild_id)
        if known is not None and code not in known.invites:
            self.counts[guild_id] = Counts({**known.invites, code: uses}, known.vanity)

    def deleted(self, guild_id: int, code: str) -> None:
        known = self.counts.get(guild_id)
        if known is not None and code in known.invites:
            self.counts[guild_id] = Counts({c: u for c, u in known.invites.items() if c != code}, known.vanity)

    async def attribute(self, member: discord.Member) -> JoinEvidence:
        """The evidence for one join. Call it from the join event handler before anything else is
        awaited, so the guild's lock is taken in gateway order."""
        guild = member.guild
        async with self._lock(guild.id):
            before = self.counts.get(guild.id)
            after = await self._reread(guild)
            if not isinstance(after, Counts):
                return self._evidence(member, "unattributed", after, None)
            self.counts[guild.id] = after
            if before is None:
                return self._evidence(member, "unattributed",
                                      "no earlier invite use counts to compare with (first read at this join)", None)
            verdict = judge(before, after, self._live_pending(member), utcnow())
            if verdict.pending is None:
                self.pending.pop(guild.id, None)
            else:
                self.pending[guild.id] = verdict.pending
        log.info("join attributed", guild=guild.id, member=member.id, attribution=verdict.attribution,
                 invite=verdict.invite, evidence=verdict.evidence)
        return self._evidence(member, verdict.attribution, verdict.evidence, verdict.invite)

    def _live_pending(self, member: discord.Member) -> Pending | None:
        """Pending rises, unless they were read before this member joined: then their joins were
        already handled (or their events lost), and they cannot be this member's."""
        pending = self.pending.get(member.guild.id)
        joined = utc_naive(member.joined_at) if member.joined_at else None
        if pending is not None and joined is not None and joined > pending.seen_at + CLOCK_SKEW:
            log.info("dropped invite uses no join accounted for", guild=member.guild.id,
                     sources=sorted(pending.sources), units=pending.units)
            return None
        return pending

    @staticmethod
    def _evidence(member: discord.Member, attribution: Attribution, evidence: str, invite: str | None) -> JoinEvidence:
        return JoinEvidence(attribution, evidence, invite=invite, account_created_at=utc_naive(member.created_at))
