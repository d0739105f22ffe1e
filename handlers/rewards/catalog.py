"""The rewards catalog: seeded from config at start-up, extended by moderators, listed for members.

Config rewards are managed in ``config.yaml`` alone: at each start a reward
is inserted or updated by its config id, one removed from config is retired
(its row stays, for the redemptions that name it) and comes back if it
returns. Stock is restocked only when the configured number changed, so a
restart never hands out the units already given again. ``/reward edit`` and
``/reward retire`` refuse config rewards, whose next start would undo them;
moderators manage the rewards they added.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import targets, tiers, validation
from handlers.config_model import Program
from handlers.context import Context
from handlers.errors import UserError
from handlers.i18n import translate
from handlers.replies import Reply
from handlers.rewards import inputs
from handlers.rewards.inputs import Unset
from storage import ranking, rewards
from storage.rewards import CONFIG, MODERATOR, Reward

LIST_CHARS = 1800
CONFIG_ACTOR = "config"


async def seed(session: AsyncSession, programs: Iterable[Program], now: datetime) -> None:
    """Bring each program's config rewards into the table (see the module docstring)."""
    for program in programs:
        stored = {r.slug: r for r in await rewards.catalog(session, program.id, retired=True)
                  if r.source == CONFIG}
        for wanted in program.rewards:
            row = stored.pop(wanted.id, None)
            if row is None:
                session.add(Reward(program_id=program.id, slug=wanted.id, name=wanted.name,
                                   description=wanted.description, cost=wanted.cost, stock=wanted.stock,
                                   seeded_stock=wanted.stock, min_tier=wanted.min_tier,
                                   per_member_limit=wanted.per_member_limit, source=CONFIG,
                                   created_by=CONFIG_ACTOR, created_at=now))
                continue
            row.name, row.description, row.cost = wanted.name, wanted.description, wanted.cost
            row.min_tier, row.per_member_limit, row.retired_at = wanted.min_tier, wanted.per_member_limit, None
            if row.seeded_stock != wanted.stock:
                row.stock = row.seeded_stock = wanted.stock
        for gone in stored.values():
            if gone.retired_at is None:
                gone.retired_at = now
    await session.flush()


def _matches(row: Reward, typed: str) -> bool:
    return row.slug == typed.lower() or row.name.casefold() == typed.casefold()


async def resolve(session: AsyncSession, ctx: Context, raw: object, *, lock: bool = False) -> Reward:
    """The reward a member or moderator named (``#id``, config id or name) in this program; retired
    ones are found by id only. ``lock`` takes the row lock (after the member locks, per the lock order)."""
    typed = inputs.reference(raw)
    if isinstance(typed, int):
        found = await rewards.in_program(session, ctx.program.id, typed)
    else:
        named = [r for r in await rewards.catalog(session, ctx.program.id) if _matches(r, typed)]
        if len(named) > 1:
            raise UserError("error.reward.ambiguous", reward=validation.shown(raw),
                            ids=", ".join(f"#{r.id}" for r in named))
        found = named[0] if named else None
    if found is None:
        raise UserError("error.reward.unknown", reward=validation.shown(raw))
    if lock:
        found = await rewards.in_program(session, ctx.program.id, found.id, lock=True)
        assert found is not None
    return found


def tier_rank(program: Program, name: str | None) -> int:
    """A tier's place in the program's order; a tier since removed from config ranks above them all."""
    if name is None:
        return 0
    names = [t.name for t in program.tiers]
    return names.index(name) if name in names else len(names)


def terms(locale: str, row: Reward) -> str:
    """Cost, stock, tier and limit in words, e.g. "300 points, 12 left, tier Silver and up"."""
    parts = [translate("reward.cost", locale, cost=row.cost)]
    parts.append(translate("reward.unlimited", locale) if row.stock is None else
                 translate("reward.stock", locale, stock=row.stock))
    if row.min_tier is not None:
        parts.append(translate("reward.tier", locale, tier=row.min_tier))
    if row.per_member_limit is not None:
        parts.append(translate("reward.limit", locale, limit=row.per_member_limit))
    return ", ".join(parts)


def _problems(ctx: Context, row: Reward, balance: int, tier: str, held: int) -> list[str]:
    locale, program = ctx.locale, ctx.program
    found = []
    if row.stock == 0:
        found.append(translate("reward.why.stock", locale))
    if tier_rank(program, tier) < tier_rank(program, row.min_tier):
        found.append(translate("reward.why.tier", locale, tier=row.min_tier))
    if row.per_member_limit is not None and held >= row.per_member_limit:
        found.append(translate("reward.why.limit", locale, limit=row.per_member_limit))
    if row.cost > balance:
        found.append(translate("reward.why.points", locale, missing=row.cost - balance))
    return found


async def listing(session: AsyncSession, ctx: Context) -> Reply:
    """What the member can redeem now, then the rest with what each is missing."""
    rows = await rewards.catalog(session, ctx.program.id)
    if not rows:
        return Reply(translate("reward.list_empty", ctx.locale), private=True)
    member_id = await targets.actor_member(session, ctx)
    standing = await ranking.standing(session, ctx.program.id, member_id)
    balance, lifetime = (standing.balance, standing.lifetime) if standing else (0, 0)
    held = await rewards.held(session, ctx.program.id, member_id)
    tier = await tiers.held_tier(session, ctx.program, member_id, lifetime)
    ready, blocked = [], []
    for row in rows:
        problems = _problems(ctx, row, balance, tier, held.get(row.id, 0))
        line = translate("reward.line", ctx.locale, id=row.id, name=row.name, terms=terms(ctx.locale, row))
        if row.description:
            line += f" \u2014 {row.description}"
        if problems:
            blocked.append(translate("reward.line_blocked", ctx.locale, line=line, why="; ".join(problems)))
        else:
            ready.append(line)
    lines = [translate("reward.list_head", ctx.locale, balance=balance, tier=tier)]
    if ready:
        lines += [translate("reward.can_redeem", ctx.locale), *ready]
    if blocked:
        lines += [translate("reward.cannot_redeem", ctx.locale), *blocked]
    return Reply(_bounded(ctx.locale, lines), private=True)


def _bounded(locale: str, lines: list[str]) -> str:
    """The lines that fit in one chat message, and how many did not."""
    kept, size = [], 0
    for index, line in enumerate(lines):
        if size + len(line) + 1 > LIST_CHARS:
            kept.append(translate("reward.more", locale, count=len(lines) - index))
            break
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


async def _name_free(session: AsyncSession, ctx: Context, name: str, keep: int | None = None) -> None:
    taken = [r for r in await rewards.catalog(session, ctx.program.id)
             if r.name.casefold() == name.casefold() and r.id != keep]
    if taken:
        raise UserError("error.reward.name_taken", name=name, id=taken[0].id)


def _opt(value: int | str | Unset | None) -> int | str | None:
    return None if isinstance(value, Unset) else value


async def add(session: AsyncSession, ctx: Context, name: object, cost: object, stock: object = None,
              tier: object = None, limit: object = None, description: object = None) -> Reply:
    """``/reward add``: a moderator's reward (a redelivered command adds it once)."""
    title = inputs.text(name, "name", inputs.NAME_MAX)
    points = inputs.cost(cost)
    units = None if inputs.blank(stock) else _opt(inputs.stock(stock))
    floor = None if inputs.blank(tier) else _opt(inputs.tier(ctx.program, tier))
    most = None if inputs.blank(limit) else _opt(inputs.limit(limit))
    about = inputs.text(description, "description", inputs.DESCRIPTION_MAX, required=False)
    source = f"{ctx.platform}:{ctx.event_id}"
    if await rewards.by_source_event(session, ctx.program.id, source) is not None:
        return Reply(translate("duplicate_event", ctx.locale))
    await _name_free(session, ctx, title)
    row = Reward(program_id=ctx.program.id, slug=None, name=title, description=about, cost=points,
                 stock=units, seeded_stock=None, min_tier=floor, per_member_limit=most, source=MODERATOR,
                 source_event=source, created_by=ctx.actor.tag, created_at=ctx.now)
    session.add(row)
    await session.flush()
    return Reply(translate("reward.added", ctx.locale, id=row.id, name=row.name, terms=terms(ctx.locale, row)))


async def _editable(session: AsyncSession, ctx: Context, raw: object) -> Reward:
    row = await resolve(session, ctx, raw, lock=True)
    if row.source == CONFIG:
        raise UserError("error.reward.from_config", id=row.id, name=row.name, slug=row.slug or "")
    if row.retired_at is not None:
        raise UserError("error.reward.retired", id=row.id, name=row.name)
    return row


async def edit(session: AsyncSession, ctx: Context, reward: object, name: object = None, cost: object = None,
               stock: object = None, tier: object = None, limit: object = None,
               description: object = None) -> Reply:
    """``/reward edit``: change what was given; ``unlimited``/``none`` clears stock, tier or limit."""
    given = {k: v for k, v in (("name", name), ("cost", cost), ("stock", stock), ("tier", tier),
                                ("limit", limit), ("description", description)) if not inputs.blank(v)}
    if not given:
        raise UserError("error.reward.nothing_to_edit")
    changes: dict[str, object] = {}
    if "name" in given:
        changes["name"] = inputs.text(name, "name", inputs.NAME_MAX)
    if "cost" in given:
        changes["cost"] = inputs.cost(cost)
    if "stock" in given:
        changes["stock"] = _opt(inputs.stock(stock))
    if "tier" in given:
        changes["min_tier"] = _opt(inputs.tier(ctx.program, tier))
    if "limit" in given:
        changes["per_member_limit"] = _opt(inputs.limit(limit))
    if "description" in given:
        changes["description"] = inputs.text(description, "description", inputs.DESCRIPTION_MAX)
    row = await _editable(session, ctx, reward)
    if "name" in changes:
        await _name_free(session, ctx, str(changes["name"]), keep=row.id)
    for column, value in changes.items():
        setattr(row, column, value)
    await session.flush()
    return Reply(translate("reward.edited", ctx.locale, id=row.id, name=row.name, terms=terms(ctx.locale, row)))


async def retire(session: AsyncSession, ctx: Context, reward: object) -> Reply:
    """``/reward retire``: no longer offered; its pending redemptions can still be fulfilled or rejected."""
    row = await _editable(session, ctx, reward)
    row.retired_at = ctx.now
    pending = await rewards.pending_of(session, row.id)
    return Reply(translate("reward.retired_done", ctx.locale, id=row.id, name=row.name, pending=pending))
