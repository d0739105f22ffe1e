"""Serve an aiohttp app on an ephemeral 127.0.0.1 port (shared by the fakes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web


class LocalServer:
    port = 0
    _runner: web.AppRunner | None = None

    async def serve(self, app: web.Application) -> str:
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}"

    async def shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll ``check`` until it returns something truthy (and return that)."""
        for _ in range(int(timeout / 0.02)):
            result = check()
            if result:
                return result
            await asyncio.sleep(0.02)
        raise AssertionError("condition not met in time")
