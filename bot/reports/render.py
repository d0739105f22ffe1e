"""The one Jinja2 environment reports render with, and images embedded as ``data:`` URIs.

Autoescaping is on for every ``.html`` template, because reports show what
members wrote. Templates translate with ``t(key, **params)`` through the same
catalog as chat replies (``handlers.i18n``). Images are downscaled before they
are embedded, so a gallery of many photos stays a file a browser opens quickly.
"""

from __future__ import annotations

import base64
import io
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from PIL import Image, ImageOps

from handlers import i18n

THUMBNAIL_PX = 320

ENVIRONMENT = Environment(loader=PackageLoader("bot.reports", "templates"),
                          autoescape=select_autoescape(("html",)), undefined=StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True)


def render(template: str, locale: str, **context: Any) -> str:
    """``template`` from ``bot/reports/templates`` with ``t`` translating into ``locale``."""
    return ENVIRONMENT.get_template(template).render(t=partial(i18n.translate, locale=locale), locale=locale,
                                                     **context)


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def thumbnail(path: Path, max_px: int = THUMBNAIL_PX) -> str | None:
    """The image at ``path`` fitted into ``max_px`` square, as a data: URI; None when the
    file is missing or is not an image Pillow can read (the report shows a placeholder).

    JPEG, unless the image has transparency, which PNG keeps."""
    try:
        with Image.open(path) as original:
            original.draft("RGB", (max_px, max_px))  # a JPEG decodes at a reduced scale: less memory and time
            image = ImageOps.exif_transpose(original)
            image.thumbnail((max_px, max_px))
            return _encode(image)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _encode(image: Image.Image) -> str:
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    buffer = io.BytesIO()
    if transparent:
        image.convert("RGBA").save(buffer, "PNG")
        return data_uri(buffer.getvalue(), "image/png")
    image.convert("RGB").save(buffer, "JPEG", quality=80)
    return data_uri(buffer.getvalue(), "image/jpeg")
