"""One log line when a platform connection is lost, one when it is back.

The platform libraries retry on their own, with backoff (python-telegram-bot's
polling loop, discord.py's reconnect loop), and report every failed attempt.
An operator needs the state changes: lost (and being retried) and back, with
how long it was down.
"""

from __future__ import annotations

import time

import structlog

log = structlog.get_logger(__name__)


class ConnectionState:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self._lost_at: float | None = None

    def lost(self, error: object) -> None:
        if self._lost_at is None:
            self._lost_at = time.monotonic()
            log.warning("connection lost, retrying with backoff", platform=self.platform, error=str(error))

    def back(self) -> None:
        if self._lost_at is not None:
            log.warning("connection back", platform=self.platform,
                        down_seconds=round(time.monotonic() - self._lost_at, 1))
            self._lost_at = None
