"""Alembic migrations match the models and gate start-up."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from storage import schema
from storage.database import Database
from storage.models import Base
from tests.conftest import BACKENDS, backend_url, open_database


@pytest.fixture(params=BACKENDS)
async def empty_db(request: pytest.FixtureRequest, tmp_path: object):
    database = open_database(backend_url(request.param, tmp_path))
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    yield database
    await database.dispose()


async def test_out_of_date_schema_refused_with_fix(empty_db: Database) -> None:
    with pytest.raises(schema.SchemaOutOfDate, match="run `engagebot db upgrade`"):
        await schema.ensure_current(empty_db)
    await schema.upgrade(empty_db)
    await schema.ensure_current(empty_db)
    await schema.upgrade(empty_db)


async def test_migrations_produce_the_models_schema(empty_db: Database) -> None:
    await schema.upgrade(empty_db)
    async with empty_db.engine.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
    assert diff == []
