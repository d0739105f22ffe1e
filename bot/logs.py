"""structlog set-up: key=value lines through stdlib logging, level from config.

Going through stdlib logging (instead of binding a stream at start-up) keeps
logging working when stderr is swapped, as test runners and daemons do.
"""

from __future__ import annotations

import logging

import structlog


def configure(level: str = "info") -> None:
    logging.basicConfig(level=level.upper(), format="%(message)s", force=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )
