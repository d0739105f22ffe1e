"""The digest renderer (``handlers.digest.model.DigestRenderer``): summary text, PNG charts, HTML report.

Each chart is drawn once: the same PNG bytes are posted as an image and embedded
in the HTML file. Synchronous and free of shared state, so the bot can run it in
a worker thread while the event loop keeps serving members.
"""

from __future__ import annotations

import re

from bot.reports.digest_charts import charts
from bot.reports.digest_html import digest_html
from bot.reports.digest_summary import summary
from bot.reports.digest_text import last_day
from handlers.digest.model import Digest, RenderedDigest
from handlers.replies import Attachment


def render(digest: Digest) -> RenderedDigest:
    """Summary, then the charts (sentiment, volume, communities), then ``digest-<program>-<date>.html``."""
    drawn = charts(digest)
    stem = file_stem(digest)
    images = tuple(Attachment(f"{stem}-{chart.name}.png", chart.png, "image/png") for chart in drawn)
    report = Attachment(f"{stem}.html", digest_html(digest, drawn).encode("utf-8"), "text/html")
    return RenderedDigest(summary(digest), (*images, report))


def file_stem(digest: Digest) -> str:
    """``digest-<program>-<last local day>``, with only file-name-safe characters from the program id."""
    program = re.sub(r"[^A-Za-z0-9_-]+", "-", digest.program_id).strip("-") or "program"
    return f"digest-{program}-{last_day(digest.period)}"
