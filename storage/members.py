"""Members and their platform identities."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Balance, EngagementState, Identity, Member, MembershipEvent, Message, Reaction
from storage.upsert import dialect, insert_for, keys_params, one_of, rows_params, update_rows

DISPLAY_NAME_MAX = 128
USERNAME_MAX = 64


@dataclass(frozen=True)
class IdentityView:
    platform: str
    platform_user_id: str
    display_name: str
    username: str | None


async def find(session: AsyncSession, platform: str, user_id: str) -> Identity | None:
    return await session.scalar(
        select(Identity).where(Identity.platform == platform, Identity.platform_user_id == user_id))


async def find_by_username(session: AsyncSession, platform: str, username: str) -> Identity | None:
    return await session.scalar(select(Identity).where(
        Identity.platform == platform, Identity.username == username.lstrip("@").lower()))


def _in_program(program_id: str) -> ColumnElement[bool]:
    """The identity's member has left a trace in the program: a balance, rule
    state, a stored message, a reaction or a join/leave there."""
    member = Identity.member_id
    return or_(
        exists().where(Balance.program_id == program_id, Balance.member_id == member),
        exists().where(EngagementState.program_id == program_id, EngagementState.member_id == member),
        exists().where(Message.member_id == member, Message.program_id == program_id),
        exists().where(Reaction.reactor_member_id == member, Reaction.program_id == program_id),
        exists().where(MembershipEvent.member_id == member, MembershipEvent.program_id == program_id),
    )


async def find_in_program(session: AsyncSession, program_id: str, platform: str, *, user_id: str | None = None,
                          username: str | None = None) -> Identity | None:
    """The account named by id (or else by @handle) if its member belongs to
    the program; None both for unknown accounts and for members known only to
    other programs, so one program can neither reach nor detect another's."""
    query = select(Identity).where(Identity.platform == platform, _in_program(program_id))
    if user_id is not None:
        query = query.where(Identity.platform_user_id == user_id)
    else:
        query = query.where(Identity.username == (username or "").lstrip("@").lower())
    return await session.scalar(query.order_by(Identity.id).limit(1))


_UNSTORABLE = {**{p: None for p in range(0xA0) if unicodedata.category(chr(p)) == "Cc"},
               **dict.fromkeys(range(0xD800, 0xE000), "\ufffd")}


def _storable(text: str, limit: int) -> str:
    """Platform-supplied text as stored: control characters (NUL among them)
    dropped and unpaired surrogates replaced by U+FFFD, since neither can be
    stored on every backend and a name must never get a message dropped; then
    cut to the column's length."""
    return text.translate(_UNSTORABLE)[:limit]


def _names(display_name: str, username: str | None) -> tuple[str, str | None]:
    """Display name and @handle as stored (handles are case-insensitive)."""
    handle = _storable(username.lstrip("@").lower(), USERNAME_MAX) if username else None
    return _storable(display_name, DISPLAY_NAME_MAX), handle or None


def _refresh(identity: Identity, display_name: str, username: str | None) -> None:
    names = _names(display_name, username)
    if (identity.display_name, identity.username) != names:
        identity.display_name, identity.username = names


async def resolve(session: AsyncSession, platform: str, user_id: str, display_name: str,
                  username: str | None, now: datetime) -> int:
    """Member id for a platform account, creating both on first sight."""
    found = await find(session, platform, user_id)
    if found is not None:
        _refresh(found, display_name, username)
        return found.member_id
    display_name, username = _names(display_name, username)
    member_id = (await session.execute(
        Member.__table__.insert().values(created_at=now).returning(Member.__table__.c.id))).scalar_one()
    stmt = insert_for(session, Identity.__table__).values(
        platform=platform, platform_user_id=user_id, display_name=display_name, username=username,
        member_id=member_id).on_conflict_do_nothing(index_elements=["platform", "platform_user_id"])
    if (await session.execute(stmt)).rowcount:
        return member_id
    await session.execute(delete(Member).where(Member.id == member_id))
    raced = await find(session, platform, user_id)
    assert raced is not None
    return raced.member_id


async def resolve_many(session: AsyncSession, accounts: list[tuple[str, str, str, str | None]],
                       now: datetime) -> dict[tuple[str, str], int]:
    """Member ids for many (platform, user id, display name, username) at once:
    one read for the known accounts and one write for those renamed since."""
    name = dialect(session)
    keys = sorted({(a[0], a[1]) for a in accounts})
    rows = await session.execute(_known(name), keys_params(name, "accounts", keys, 2))
    found = {(r.platform, r.platform_user_id): r for r in rows}
    names: dict[int, tuple[str, str | None]] = {}
    out: dict[tuple[str, str], int] = {}
    for platform, user_id, display_name, username in accounts:
        row = found.get((platform, user_id))
        if row is None:
            out[(platform, user_id)] = await resolve(session, platform, user_id, display_name, username, now)
            continue
        wanted = _names(display_name, username)
        if wanted != names.get(row.id, (row.display_name, row.username)):
            names[row.id] = wanted
        out[(platform, user_id)] = row.member_id
    if names:
        await session.execute(_rename(name), rows_params(name, [
            {"id": i, "display_name": d, "username": u} for i, (d, u) in sorted(names.items())]))
    return out


@cache
def _known(name: str) -> Any:
    return select(Identity.id, Identity.platform, Identity.platform_user_id, Identity.member_id,
                  Identity.display_name, Identity.username) \
        .where(one_of(name, [Identity.platform, Identity.platform_user_id], "accounts"))


@cache
def _rename(name: str) -> Any:
    return update_rows(name, Identity.__table__, ["id"], ["display_name", "username"])


async def identities(session: AsyncSession, member_id: int) -> list[IdentityView]:
    rows = await session.scalars(select(Identity).where(Identity.member_id == member_id).order_by(Identity.platform))
    return [IdentityView(r.platform, r.platform_user_id, r.display_name, r.username) for r in rows]


async def display_names(session: AsyncSession, member_ids: list[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    rows = await session.execute(select(Identity.member_id, Identity.display_name)
                                 .where(Identity.member_id.in_(member_ids)).order_by(Identity.id))
    for member_id, name in rows:
        names.setdefault(member_id, name)
    return names


async def merge_identities(session: AsyncSession, loser: int, survivor: int) -> None:
    """Move every identity of ``loser`` to ``survivor`` and mark the merge."""
    await session.execute(update(Identity).where(Identity.member_id == loser).values(member_id=survivor))
    await session.execute(update(Member).where(Member.id == loser).values(merged_into=survivor))


def holder_name() -> ScalarSelect[str]:
    """Display name of the member who holds a ``members`` row now (following a ``/link`` merge), from their
    oldest account as on the leaderboard; correlated with ``Member`` in the enclosing query."""
    holder = func.coalesce(Member.merged_into, Member.id)
    return (select(Identity.display_name).where(Identity.member_id == holder).order_by(Identity.id).limit(1)
            .scalar_subquery())
