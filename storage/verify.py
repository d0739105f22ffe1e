"""``engagebot ledger verify``: check the ledger and rebuild what is derived from it.

For each program, in one pass over its entries in sequence order:

- the hash chain: no sequence gap, each ``prev_hash`` the previous hash, each
  hash recomputed under its scheme. With the key (``session.info``), keyed
  entries must verify under it and an unkeyed entry is accepted only before
  the first keyed one, which seals it into the chain: a keyed ledger never
  silently accepts an entry that someone without the key could have written;
- the chain head row against the last entry;
- checkpoints (``storage.checkpoint``): signed under the key, the entry at
  each checkpoint's sequence still has the checkpoint's hash, and the ledger
  holds at least as many entries; a checkpointed program whose ledger is gone
  is reported as vanished;
- derived state: balances, lifetimes and the rank histogram; the points each
  message row records against its ledger entry (idempotency key
  ``msg:{platform}:{community}:{message id}``); each member's engagement
  counters (latest earning time, its local day in the program's time zone,
  and the message points of that day) against the member's message entries.

The first broken entry is named so an operator knows where to look. What it
cannot check is listed in the README ("Tamper evidence").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.checkpoint import Checkpoint
from storage.ledger import GENESIS, KEYED_SCHEMES, LEGACY_SHA256, SHA256, chain, ledger_key, stored_fields
from storage.models import Balance, EngagementState, LedgerEntry, Member, Message, ProgramState, Reason, ScoreCount

SHOWN = 20


@dataclass
class ProgramCheck:
    program_id: str
    entries: int = 0
    first_bad_entry: str | None = None
    balance_mismatches: list[str] = field(default_factory=list)
    rank_mismatch: bool = False
    anchor_problems: list[str] = field(default_factory=list)
    derived_mismatches: list[str] = field(default_factory=list)
    anchored_at: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.first_bad_entry is None and not self.balance_mismatches and not self.rank_mismatch
                and not self.anchor_problems and not self.derived_mismatches)


@dataclass
class _Latest:
    """A member's latest earning day as the message rules count it."""

    at: datetime
    day: date
    points: int


@dataclass
class _Walk:
    """What one pass over a program's entries found."""

    key: bytes | None
    zone: ZoneInfo
    wanted: set[int]
    prev: str = GENESIS
    keyed_seen: bool = False
    unsealed_from: int | None = None
    totals: dict[int, list[int]] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)
    latest: dict[int, _Latest] = field(default_factory=dict)
    message_entries: int = 0

    def hash_problem(self, row: LedgerEntry) -> str | None:
        if row.scheme in KEYED_SCHEMES:
            self.keyed_seen, self.unsealed_from = True, None
            if self.key is None:
                return "keyed entry (hmac-sha256) cannot be checked without ENGAGEBOT_LEDGER_KEY"
            if chain(self.prev, stored_fields(row), self.key) != row.hash:
                return "hash does not verify under the key (entry altered or forged, or another key)"
            return None
        if row.scheme not in (SHA256, LEGACY_SHA256):
            return f"unknown hash scheme {row.scheme!r}"
        if chain(self.prev, stored_fields(row)) != row.hash:
            return "hash does not match the entry's contents (entry altered)"
        if self.key is not None and self.keyed_seen:
            return "entry is not keyed but follows keyed entries (written without the key: forged or rewritten)"
        if self.key is not None and self.unsealed_from is None:
            self.unsealed_from = row.seq
        return None

    def count(self, row: LedgerEntry) -> None:
        sums = self.totals.setdefault(row.member_id, [0, 0])
        sums[0] += row.delta
        sums[1] += row.lifetime_delta
        if row.seq in self.wanted:
            self.hashes[row.seq] = row.hash
        if row.reason == Reason.MESSAGE:
            self.message_entries += 1
            self._earned(row.member_id, row.created_at, row.delta)

    def _earned(self, member_id: int, at: datetime, points: int) -> None:
        day = at.replace(tzinfo=UTC).astimezone(self.zone).date()
        latest = self.latest.get(member_id)
        if latest is None or day > latest.day:
            self.latest[member_id] = _Latest(at, day, points)
        elif day == latest.day:
            latest.at, latest.points = max(latest.at, at), latest.points + points


async def _walk_chain(session: AsyncSession, check: ProgramCheck, walk: _Walk) -> None:
    expected_seq = 1
    rows = await session.stream_scalars(
        select(LedgerEntry).where(LedgerEntry.program_id == check.program_id).order_by(LedgerEntry.seq))
    async for row in rows:
        check.entries += 1
        problem = None
        if row.seq != expected_seq:
            problem = f"sequence gap: expected seq {expected_seq}, found {row.seq}"
        elif row.prev_hash != walk.prev:
            problem = "prev_hash does not match the previous entry's hash"
        else:
            problem = walk.hash_problem(row)
        if problem and check.first_bad_entry is None:
            check.first_bad_entry = f"entry id {row.id} (seq {row.seq}, member {row.member_id}): {problem}"
        walk.prev, expected_seq = row.hash, row.seq + 1
        walk.count(row)
    if check.first_bad_entry is None and walk.unsealed_from is not None:
        check.first_bad_entry = (
            f"entries from seq {walk.unsealed_from} on are not keyed and no keyed entry seals them (if "
            f"ENGAGEBOT_LEDGER_KEY was only just set, the next append seals them)")
    head = await session.get(ProgramState, check.program_id)
    if check.first_bad_entry is not None:
        return
    if head is None and check.entries:
        check.first_bad_entry = f"the chain head row is missing while {check.entries} entries exist"
    elif head is not None and (head.head_hash, head.entry_count) != (walk.prev, check.entries):
        check.first_bad_entry = f"chain head does not match the last entry (seq {check.entries}); entries were removed"


def _check_anchors(check: ProgramCheck, walk: _Walk, checkpoints: Sequence[Checkpoint]) -> None:
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        label = f"checkpoint of {cp.created_at} (seq {cp.seq})"
        problems = []
        if walk.key is not None and not cp.signature_ok(walk.key):
            problems.append(f"{label} is unsigned or its signature does not match "
                            f"(forged or edited, or signed with another key)")
        if check.entries == 0 and cp.entry_count > 0:
            problems.append(f"ledger vanished: {label} recorded {cp.entry_count} entries, the database has none")
        elif cp.seq == 0 and cp.head_hash != GENESIS:
            problems.append(f"{label} names a head hash for an empty chain")
        elif cp.seq > 0 and cp.seq not in walk.hashes:
            problems.append(f"entry seq {cp.seq} named by {label} is gone (entries removed)")
        elif cp.seq > 0 and walk.hashes[cp.seq] != cp.head_hash:
            problems.append(f"entry seq {cp.seq} differs from {label} (history rewritten)")
        elif check.entries < cp.entry_count:
            problems.append(f"the ledger shrank: {check.entries} entries, {label} recorded {cp.entry_count}")
        check.anchor_problems.extend(problems)
        if not problems:
            check.anchored_at = max(check.anchored_at or 0, cp.seq)
    if walk.key is None and any(cp.signature for cp in checkpoints):
        check.notes.append("checkpoint signatures not checked: ENGAGEBOT_LEDGER_KEY is not set")


async def _compare_balances(session: AsyncSession, check: ProgramCheck, totals: dict[int, list[int]]) -> None:
    stored = {r.member_id: (r.balance, r.lifetime) for r in (await session.execute(
        select(Balance.member_id, Balance.balance, Balance.lifetime).where(Balance.program_id == check.program_id)))}
    for member_id in sorted(set(stored) | set(totals)):
        want = tuple(totals.get(member_id, (0, 0)))
        have = stored.get(member_id, (0, 0))
        if want != have:
            check.balance_mismatches.append(
                f"member {member_id}: stored balance/lifetime {have[0]}/{have[1]}, ledger says {want[0]}/{want[1]}")
    histogram = Counter(lifetime for _, lifetime in stored.values())
    counted = {r.score: r.members for r in (await session.execute(
        select(ScoreCount.score, ScoreCount.members).where(ScoreCount.program_id == check.program_id))) if r.members}
    check.rank_mismatch = dict(histogram) != counted


async def _compare_messages(session: AsyncSession, check: ProgramCheck, message_entries: int) -> None:
    """Each message's recorded points against its ledger entry, both ways."""
    m, e, program = Message, LedgerEntry, check.program_id
    key = literal("msg:") + m.platform + literal(":") + m.community_id + literal(":") + m.platform_message_id
    wrong = await session.stream(
        select(m.id, m.points, e.delta, e.program_id).outerjoin(e, e.idempotency_key == key)
        .where(m.program_id == program, or_(and_(e.id.is_(None), m.points != 0),
                                            and_(e.id.is_not(None), or_(e.delta != m.points, e.program_id != program))))
        .order_by(m.id))
    found = 0
    async for row in wrong:
        found += 1
        if found <= SHOWN:
            entry = "no ledger entry" if row.delta is None else f"its ledger entry says {row.delta}"
            if row.delta is not None and row.program_id != program:
                entry = f"its ledger entry is in program {row.program_id!r}"
            check.derived_mismatches.append(f"message {row.id}: records {row.points} points, {entry}")
    if found > SHOWN:
        check.derived_mismatches.append(f"... and {found - SHOWN} more messages")
    matched = await session.scalar(select(func.count()).select_from(m).join(e, e.idempotency_key == key)
                                   .where(m.program_id == program, e.program_id == program))
    if message_entries > (matched or 0):
        check.derived_mismatches.append(
            f"{message_entries - (matched or 0)} message ledger entries have no message row")


async def _compare_engagement(session: AsyncSession, check: ProgramCheck, latest: dict[int, _Latest]) -> None:
    """Engagement counters against message entries. Members joined by ``/link``
    are left out: a merge combines counters in ways the entries do not show."""
    linked: set[int] = set()
    for member_id, into in await session.execute(
            select(Member.id, Member.merged_into).where(Member.merged_into.is_not(None))):
        linked |= {member_id, into}
    states = {s.member_id: s for s in await session.scalars(
        select(EngagementState).where(EngagementState.program_id == check.program_id))}
    shown = 0
    for member_id in sorted((set(states) | set(latest)) - linked):
        want, state = latest.get(member_id), states.get(member_id)
        expected = (want.at, want.day, want.points) if want else (None, None, 0)
        have = (state.last_earned_at, state.day, state.day_points) if state else None
        if have == expected or (have is None and want is None):
            continue
        shown += 1
        if shown <= SHOWN:
            stored = "no engagement state" if have is None else \
                f"engagement state says last earned {have[0]}, day {have[1]} with {have[2]} points"
            check.derived_mismatches.append(
                f"member {member_id}: {stored}; ledger says last earned {expected[0]}, day {expected[1]} "
                f"with {expected[2]} points")
    if shown > SHOWN:
        check.derived_mismatches.append(f"... and {shown - SHOWN} more members")
    skipped = len(linked & (set(states) | set(latest)))
    if skipped:
        check.notes.append(f"engagement counters of {skipped} members joined by /link not checked")


async def verify(session: AsyncSession, program_ids: tuple[str, ...] = (), *,
                 checkpoints: Sequence[Checkpoint] = (), timezones: Mapping[str, str] | None = None,
                 ) -> list[ProgramCheck]:
    """Check every program in the database plus ``program_ids`` (configured
    ones) and any program a checkpoint names. ``timezones`` maps program ids
    to their configured zone (days of the engagement counters); UTC if absent."""
    key = ledger_key(session)
    stored = set((await session.scalars(select(ProgramState.id))).all())
    stored |= set((await session.scalars(select(LedgerEntry.program_id).distinct())).all())
    anchors: dict[str, list[Checkpoint]] = {}
    for cp in checkpoints:
        anchors.setdefault(cp.program_id, []).append(cp)
    checks = []
    for program_id in sorted(stored | set(program_ids) | set(anchors)):
        check = ProgramCheck(program_id)
        mine = anchors.get(program_id, [])
        walk = _Walk(key, ZoneInfo((timezones or {}).get(program_id, "UTC")), {cp.seq for cp in mine})
        await _walk_chain(session, check, walk)
        _check_anchors(check, walk, mine)
        await _compare_balances(session, check, walk.totals)
        await _compare_messages(session, check, walk.message_entries)
        await _compare_engagement(session, check, walk.latest)
        checks.append(check)
    return checks
