"""A seeded chat workload that several OS processes replay into one database.

Every process gets the same shared messages (so each is delivered several
times, as a redelivering platform or two bot instances would), its own
messages for the same members in shuffled time order, the same moderator
awards, and a share of the ``/link`` redemptions, made mid-stream while the
linked accounts are posting. Run as ``python -m tests.concurrency.workload``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.config_model import Community, Program, Rules, Settings
from handlers.context import Actor, Context, MemberRef
from handlers.core import Core
from handlers.engagement import IncomingMessage
from storage.database import Database

T0 = datetime(2026, 3, 2, 8, 0, 0)
DISCORD, TELEGRAM = "111", "-100222"
TEXTS = ("good morning everyone here", "anyone tried the new flavour?", "love this community so much",
         "what time is the event today", "thanks for the help yesterday")
LINKED = 6


def settings() -> Settings:
    rules = Rules(points_per_message=5, cooldown_seconds=30, min_message_length=10, daily_cap=40,
                  reaction_points=2, streak_bonus=10, max_adjustment=1000)
    return Settings(programs=(Program(id="acme", name="Acme", rules=rules, communities=(
        Community(platform="discord", id=DISCORD), Community(platform="telegram", id=TELEGRAM))),))


@dataclass(frozen=True)
class Post:
    platform: str
    user: str
    message_id: str
    text: str
    at: datetime


def accounts() -> list[tuple[str, str]]:
    return [("discord", discord_user(i)) for i in range(16)] + [("telegram", telegram_user(i)) for i in range(8)]


def discord_user(i: int) -> str:
    return str(1000 + i)


def telegram_user(i: int) -> str:
    return str(2000 + i)


def posts(seed: int, process: int, count: int, shared: int) -> list[Post]:
    """Shared posts (the same for every process) mixed into this process's own."""
    def make(rng: random.Random, prefix: str, n: int) -> list[Post]:
        out = []
        for i in range(n):
            platform, user = rng.choice(accounts())
            text = rng.choice(TEXTS) if rng.random() < 0.5 else f"message {prefix}{i} about something new"
            out.append(Post(platform, user, f"{prefix}{i}", text, T0 + timedelta(seconds=rng.randrange(0, 4 * 3600))))
        return out

    mine = make(random.Random(seed * 1000 + process), f"p{process}-", count) + make(random.Random(seed), "s-", shared)
    random.Random(seed * 7 + process).shuffle(mine)
    return mine


def context(program: Program, platform: str, user: str, event: str, now: datetime, moderator: bool = False) -> Context:
    community = DISCORD if platform == "discord" else TELEGRAM
    return Context(program=program, platform=platform, community_id=community,
                   actor=Actor(platform, user, f"name {user}", user), locale="en", event_id=event, now=now,
                   is_moderator=moderator)


async def replay(url: str, schema: str | None, process: int, processes: int, seed: int, codes: list[str]) -> int:
    """Replay this process's share; returns how many core calls failed."""
    args = {"connect_args": {"server_settings": {"search_path": schema}}} if schema else {}
    db = Database(url, **args)
    core = Core(settings(), db)
    program = core.settings.programs[0]
    stream = posts(seed, process, 240, 120)
    failures = 0
    for start in range(0, len(stream), 12):
        chunk = stream[start:start + 12]
        calls = [core.message(context(program, p.platform, p.user, p.message_id, p.at), IncomingMessage(p.message_id, p.text))
                 for p in chunk]
        calls += _extra_calls(core, program, start // 12, process, processes, codes)
        results = await asyncio.gather(*calls, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException) or getattr(r, "ok", True) is False]
        for result in failed:
            print(f"failed: {result!r}", file=sys.stderr)
        failures += len(failed)
    await db.dispose()
    return failures


def _extra_calls(core: Core, program: Program, step: int, process: int, processes: int, codes: list[str]) -> list:
    """Awards (every process sends all of them) and this process's link redemptions."""
    calls = []
    if step < 10:
        target = MemberRef("discord", discord_user((step * 5) % 16), verified=True, display_name="someone")
        ctx = context(program, "discord", "999", f"award-{step}", T0, moderator=True)
        calls.append(core.command(ctx, "award", {"member": target, "amount": 7, "reason": "helpful"}))
    link_step = 3 + process
    if step == link_step:
        for i, code in enumerate(codes):
            if i % processes == process:
                ctx = context(program, "telegram", telegram_user(i), f"link-{i}", T0 + timedelta(minutes=1))
                calls.append(core.command(ctx, "link", {"code": code}))
    return calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--process", type=int, required=True)
    parser.add_argument("--processes", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--codes", default="")
    ns = parser.parse_args()
    codes = [c for c in ns.codes.split(",") if c]
    failures = asyncio.run(replay(ns.url, ns.schema, ns.process, ns.processes, ns.seed, codes))
    print(f"process {ns.process}: {failures} failed calls")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
