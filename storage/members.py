"""Members and their platform identities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Identity, Member
from storage.upsert import insert_for


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


def _names(display_name: str, username: str | None) -> tuple[str, str | None]:
    """Display name and @handle as stored (handles are case-insensitive)."""
    return display_name[:128], username.lstrip("@").lower() if username else None


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
    """Member ids for many (platform, user id, display name, username) at once."""
    keys = sorted({(a[0], a[1]) for a in accounts})
    rows = await session.scalars(select(Identity).where(tuple_(Identity.platform, Identity.platform_user_id).in_(keys)))
    found = {(r.platform, r.platform_user_id): r for r in rows}
    out: dict[tuple[str, str], int] = {}
    for platform, user_id, display_name, username in accounts:
        identity = found.get((platform, user_id))
        if identity is None:
            out[(platform, user_id)] = await resolve(session, platform, user_id, display_name, username, now)
            continue
        _refresh(identity, display_name, username)
        out[(platform, user_id)] = identity.member_id
    return out


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
