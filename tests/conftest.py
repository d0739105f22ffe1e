"""Shared fixtures. Storage tests run on SQLite always and on PostgreSQL when
ENGAGEBOT_TEST_POSTGRES_URL is set (CI sets it)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from sqlalchemy import text

from handlers.config_model import Community, Program, Rules, Settings
from handlers.context import Actor, Context
from handlers.core import Core
from storage.database import Database
from storage.models import Base

PG_URL = os.environ.get("ENGAGEBOT_TEST_POSTGRES_URL")
PG_SCHEMA = f"engagebot_test_{os.getpid()}"
T0 = datetime(2026, 3, 2, 12, 0, 0)


def open_database(url: str) -> Database:
    """A Database; on PostgreSQL inside this test session's own schema, so two
    test runs sharing a server (a developer and CI) cannot disturb each other."""
    if not url.startswith("postgresql"):
        return Database(url)
    return Database(url, connect_args={"server_settings": {"search_path": PG_SCHEMA}})


async def _pg_schema(sql: str) -> None:
    database = Database(PG_URL or "")
    async with database.engine.begin() as conn:
        await conn.execute(text(sql))
    await database.dispose()


def pytest_sessionstart(session: pytest.Session) -> None:
    if PG_URL:
        asyncio.run(_pg_schema(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    if PG_URL:
        asyncio.run(_pg_schema(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))


def settings_for_tests(**rules: int) -> Settings:
    chosen = {"points_per_message": 5, "cooldown_seconds": 60, "min_message_length": 10, "daily_cap": 20,
              "reaction_points": 2, "streak_bonus": 10, "max_adjustment": 1000, **rules}
    return Settings(programs=(Program(
        id="acme", name="Acme", timezone="UTC",
        rules=Rules(**chosen),
        communities=(Community(platform="discord", id="111"), Community(platform="telegram", id="-100222")),
        tier_roles={"Silver": "Silver"},
    ),))


async def reset_schema(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await conn.run_sync(Base.metadata.create_all)


# PostgreSQL cases run when ENGAGEBOT_TEST_POSTGRES_URL names a server (CI always sets it).
NEEDS_POSTGRES = pytest.mark.skipif(not PG_URL, reason="set ENGAGEBOT_TEST_POSTGRES_URL to run PostgreSQL tests")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=NEEDS_POSTGRES)]


def backend_url(backend: str, tmp_path: object) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/test.db"
    assert PG_URL, "PostgreSQL cases are marked NEEDS_POSTGRES"
    return PG_URL


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Database]:
    database = open_database(backend_url(request.param, tmp_path))
    await reset_schema(database)
    yield database
    await database.dispose()


@pytest.fixture
async def core(db: Database) -> Core:
    engine = Core(settings_for_tests(), db)
    await engine.start()
    return engine


def ctx(core: Core, user: str = "1", *, platform: str = "discord", now: datetime = T0, event: str = "e1",
        moderator: bool = False, locale: str = "en", name: str | None = None, username: str | None = None) -> Context:
    community = "111" if platform == "discord" else "-100222"
    return Context(program=core.settings.programs[0], platform=platform, community_id=community,
                   actor=Actor(platform, user, name or f"user{user}", username or f"name{user}"), locale=locale, event_id=event,
                   now=now, is_moderator=moderator)
