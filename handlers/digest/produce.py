"""A program's digest for a period, built and rendered: what the schedule posts and ``/digest`` answers.

The data is read in one unit of work (``handlers.digest.build``); rendering
(charts, the HTML report) is seconds of CPU work, so it runs in a worker
thread after that unit of work has closed: no transaction, and on SQLite no
write lock, is held while drawing, and the event loop keeps serving members.
The renderer comes from the runtime (``Core.renderer``), so handlers never
import the drawing libraries.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from handlers.config_model import Program
from handlers.digest.build import build
from handlers.digest.model import Digest, Period, RenderedDigest

if TYPE_CHECKING:
    from handlers.core import Core


class NoRenderer(LookupError):
    """The core has no digest renderer (a runtime that does not post digests)."""


async def render(core: Core, program: Program, period: Period, now: datetime) -> RenderedDigest:
    renderer = core.renderer
    if renderer is None:
        raise NoRenderer("no digest renderer is attached to the core")
    digest: Digest = await core.db.read(lambda session: build(session, program, period, now))
    return await asyncio.to_thread(renderer, digest)
