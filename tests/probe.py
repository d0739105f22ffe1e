"""Reading the database from adapter tests while the bot runs."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from handlers.core import Core


class DbProbe:
    core: Core

    async def count(self, model: type, *where: object) -> int:
        async with self.core.db.unit_of_work() as s:
            return await s.scalar(select(func.count()).select_from(model).where(*where))

    async def settle(self, model: type, expected: int, *where: object) -> None:
        """Wait until the bot has written at least ``expected`` rows."""
        for _ in range(500):
            if await self.count(model, *where) >= expected:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {expected} {model.__name__} rows, have {await self.count(model, *where)}")
