"""The demo report's contest sections, read back from storage: UGC review counts, each contest's
entries, votes and winners, and the draw checked from its published commitment and revealed seed."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contest_cli import recompute
from bot.demo.contests import Outcome
from bot.demo.tables import Section, figure
from handlers.config_model import Program
from storage import contests, members
from storage.contests import Contest, ContestVote
from storage.ugc import UgcSubmission

STATUSES = ("pending", "approved", "featured", "rejected")
DECIDED_BY = {"members": "member votes", "random": "random draw", "moderator": "moderator pick", "none": "-"}


def _ids(ids: list[int]) -> str:
    return ", ".join(f"#{i}" for i in ids) or "-"


async def _review(session: AsyncSession, program: Program) -> Section:
    counts = dict((await session.execute(select(UgcSubmission.status, func.count())
                                         .where(UgcSubmission.program_id == program.id)
                                         .group_by(UgcSubmission.status))).tuples().all())
    total = sum(counts.values())
    return Section("UGC review", ("status", "submissions"), [(s, figure(counts.get(s, 0))) for s in STATUSES],
                   note=f"{figure(total)} submissions for the contests; approved and featured ones paid "
                        f"{program.rules.ugc_approved_points} points each", right=frozenset({1}))


async def _winners(session: AsyncSession, contest_id: int) -> tuple[list[int], str]:
    won = await contests.winners(session, contest_id)
    names = await members.display_names(session, [e.member_id for _, e in won])
    shown = "; ".join(f"{names.get(e.member_id, '?')} (entry #{e.id}"
                      + (f", {e.votes} votes)" if e.votes else ")") for _, e in won)
    return [e.id for _, e in won], shown or "none"


async def _contest_row(session: AsyncSession, contest: Contest) -> tuple[str, ...]:
    taking_part = len(await contests.ranked(session, contest.id))
    votes = await session.scalar(select(func.count()).select_from(ContestVote)
                                 .where(ContestVote.contest_id == contest.id))
    _, names = await _winners(session, contest.id)
    return (f"#{contest.id} {contest.title}", DECIDED_BY[contest.voting], contest.status, figure(taking_part),
            figure(votes or 0), names, figure(contest.prize))


async def _draw(session: AsyncSession, contest: Contest, announced: list[str]) -> Section:
    """The draw as anyone can check it: the commitment from the start, the seed from the end."""
    seed = bytes.fromhex(contest.seed or "")
    entries = [e.id for e in await contests.ranked(session, contest.id)]
    order = recompute(seed, entries)
    winners, names = await _winners(session, contest.id)
    committed = hashlib.sha256(seed).hexdigest() == contest.commitment
    published = any(contest.commitment and contest.commitment in t and "open until" in t for t in announced)
    revealed = any(contest.seed and contest.seed in t for t in announced)
    seen = f"commitment: {'yes' if published else 'no'}, seed: {'yes' if revealed else 'no'}"
    rows = [("commitment sha256(seed), published at the start", contest.commitment or "-"),
            ("seed, revealed at the end", contest.seed or "-"),
            ("in the announcements", seen),
            ("sha256(seed) equals the commitment", "yes" if committed else "NO"),
            ("entries in the draw", _ids(sorted(entries))),
            ("order by HMAC-SHA256(seed, entry), recomputed", _ids(order)),
            ("winners", names),
            ("winners are the first places of that order",
             "yes" if winners == order[: contest.winners] else "NO")]
    return Section(f"Contest draw: #{contest.id} {contest.title}", ("check", "value"), rows,
                   note=f"check it yourself: engagebot contest verify {contest.id} --seed SEED")


async def sections(session: AsyncSession, program: Program, outcome: Outcome) -> list[Section]:
    vote = await session.get(Contest, outcome.vote_contest)
    draw = await session.get(Contest, outcome.draw_contest)
    assert vote is not None and draw is not None
    refused = ", ".join(f"{name}: {n}" for name, n in sorted(outcome.refused.items())) or "none"
    columns = ("contest", "decided by", "status", "entries", "votes", "winners", "prize each")
    rows = [await _contest_row(session, vote), await _contest_row(session, draw)]
    table = Section("Contests", columns, rows,
                    note=f"{len(outcome.announcements)} announcements; refused by the rules: {refused}",
                    right=frozenset({3, 4, 6}))
    return [await _review(session, program), table, await _draw(session, draw, outcome.announcements)]
