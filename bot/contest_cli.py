"""``engagebot contest verify``: check a random draw from its revealed seed, independently of the bot.

The recomputation here uses hashlib and hmac directly (not the bot's draw
code), exactly as the README's "Verify a contest draw" tells anyone to:
``sha256(seed)`` must be the commitment published at the start, and the
entries that took part, ranked by ``HMAC-SHA256(seed, str(entry_id))``
smallest first, must be the stored order, whose first places are the
winners and whose later ones the rerolls.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot import config as config_loader
from bot.cli_common import ConfigOption, fail, load_settings
from bot.config import Secrets
from handlers.config_model import Settings
from storage import contests, schema
from storage.contests import RANDOM, Contest
from storage.database import Database
from storage.schema import SchemaOutOfDate

app = typer.Typer(help="Contest commands.", no_args_is_help=True)
console = Console()
_SEED = re.compile(r"[0-9a-fA-F]{64}")



@dataclass(frozen=True)
class Record:
    """What the bot stored about a draw: the contest, the entries in their stored order, the winners."""

    contest: Contest
    order: list[int]
    winners: list[tuple[int, int, str]]


async def _record(database: Database, contest_id: int, program: str | None) -> Record | None:
    await schema.ensure_current(database)
    async with database.unit_of_work() as session:
        contest = await session.get(Contest, contest_id)
        if contest is None or (program is not None and contest.program_id != program):
            return None
        order = [e.id for e in await contests.ranked(session, contest_id)]
        won = [(w.place, w.entry_id, w.how) for w, _ in await contests.winners(session, contest_id)]
        return Record(contest, order, won)


def _load(settings: Settings, contest_id: int, program: str | None) -> Record:
    database = Database(config_loader.database_url(settings, Secrets.from_env()))

    async def main() -> Record | None:
        try:
            return await _record(database, contest_id, program)
        finally:
            await database.dispose()

    try:
        found = asyncio.run(main())
    except SchemaOutOfDate as exc:
        raise fail(str(exc)) from None
    if found is None:
        where = f" in program {program!r}" if program else ""
        raise fail(f"there is no contest #{contest_id}{where}")
    return found


def recompute(seed: bytes, entry_ids: list[int]) -> list[int]:
    """The draw order anyone can compute: entries by HMAC-SHA256(seed, decimal id), smallest first."""
    def ticket(entry_id: int) -> bytes:
        return hmac.new(seed, str(entry_id).encode("ascii"), hashlib.sha256).digest()

    return sorted(entry_ids, key=lambda e: (ticket(e), e))


def _rerolls_follow(order: list[int], drawn: int, rerolls: list[int]) -> bool:
    """Rerolls take later places of the order, in order (skipping entries disqualified since)."""
    later = order[drawn:]
    positions = [later.index(e) if e in later else -1 for e in rerolls]
    return all(p >= 0 for p in positions) and positions == sorted(positions)


def _checks(record: Record, seed: bytes) -> list[tuple[str, bool]]:
    contest = record.contest
    checks = [(f"sha256(seed) = {hashlib.sha256(seed).hexdigest()} is the published commitment",
               hashlib.sha256(seed).hexdigest() == contest.commitment)]
    if contest.status != contests.CLOSED:
        return checks
    order = recompute(seed, record.order)
    drawn = [entry for _, entry, how in record.winners if how == "draw"]
    rerolls = [entry for _, entry, how in record.winners if how == "reroll"]
    shown = ", ".join(f"#{e}" for e in order) or "(no entries)"
    checks.append((f"recomputed order of the {len(order)} entries: {shown}; stored order matches",
                   order == record.order))
    checks.append((f"winners {', '.join(f'#{e}' for e in drawn) or '(none)'} are the first "
                   f"{min(contest.winners, len(order))} of the order", drawn == order[: contest.winners]))
    if rerolls:
        checks.append((f"rerolls {', '.join(f'#{e}' for e in rerolls)} follow in order",
                       _rerolls_follow(order, len(drawn), rerolls)))
    return checks


@app.command("verify")
def verify(contest: Annotated[int, typer.Argument(help="Contest number.", min=1)],
           seed: Annotated[str, typer.Option(help="The seed revealed at the end (64 hex characters).")],
           program: Annotated[str | None, typer.Option(help="Program id the contest must belong to.")] = None,
           config: ConfigOption = Path("config.yaml")) -> None:
    """Recompute a random draw from its revealed seed: commitment, order of the entries, winners."""
    if not _SEED.fullmatch(seed.strip()):
        raise fail("--seed must be the 64 hex characters announced at the end of the contest")
    settings = load_settings(config)
    if program is not None and program not in {p.id for p in settings.programs}:
        raise fail(f"unknown program {program!r}; configured programs: {[p.id for p in settings.programs]}")
    record = _load(settings, contest, program)
    if record.contest.voting != RANDOM:
        raise fail(f"contest #{contest} is not a random draw (its winners are decided by "
                    f"{record.contest.voting})")
    checks = _checks(record, bytes.fromhex(seed.strip()))
    for text, ok in checks:
        console.print(f"{'[green]OK[/]' if ok else '[red]MISMATCH[/]'} {escape(text)}", highlight=False,
                      soft_wrap=True)
    if record.contest.status != contests.CLOSED:
        console.print(f"contest #{contest} is {record.contest.status}: not drawn yet", highlight=False)
    if not all(ok for _, ok in checks):
        raise typer.Exit(1)
    console.print(f"contest #{contest}: the draw matches the seed", highlight=False)
