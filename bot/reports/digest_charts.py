"""The digest's charts as PNG bytes: sentiment per day, messages and actives per day, sentiment by community.

Figures are built with matplotlib's object API (``Figure`` drawn by Agg), never
pyplot, whose global figure registry is not safe in the worker thread the bot
renders digests in. Chinese labels need a font with CJK glyphs: ``cjk_font``
finds one matplotlib knows, or asks fontconfig for one (``fc-list :lang=zh``);
without any, a Chinese digest gets English chart labels rather than boxes, and
the HTML report around the charts stays in Chinese.
"""

from __future__ import annotations

import io
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from matplotlib import font_manager
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from bot.reports.digest_text import LABELS
from handlers import i18n
from handlers.digest.model import Digest, GroupMix, Mix

WIDTH_PX, HEIGHT_PX, DPI = 960, 480, 100
COLOURS = {"positive": "#1a7f37", "neutral": "#8c959f", "negative": "#cf222e"}
VOLUME_COLOUR, ACTIVES_COLOUR = "#54aeff", "#8250df"
MAX_COMMUNITIES = 12  # the busiest; the HTML table lists them all
MIN_COMMUNITY_SLOTS = 5
MAX_DAY_TICKS = 12
# Families with Simplified Chinese glyphs, best first; fontconfig is asked when none is known to matplotlib.
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "Droid Sans Fallback", "AR PL UMing CN", "PingFang SC",
                "Microsoft YaHei", "SimHei")
LATIN_FAMILY = "DejaVu Sans"  # bundled with matplotlib: always there
_font_lock = threading.Lock()


@dataclass(frozen=True)
class Chart:
    """One chart: ``name`` is its file-name part, ``title`` its caption in the digest's language."""

    name: str
    title: str
    png: bytes


@cache
def cjk_font() -> str | None:
    """The family name of a font with Chinese glyphs that matplotlib can use, or None."""
    with _font_lock:
        known = {entry.name for entry in font_manager.fontManager.ttflist}
        found = next((family for family in CJK_FAMILIES if family in known), None)
        if found is not None:
            return found
        for path in _fontconfig_chinese_fonts():
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.get_font(path).family_name
            except (OSError, RuntimeError, ValueError):
                continue
        return None


def _fontconfig_chinese_fonts() -> list[str]:
    """Font files fontconfig says cover Chinese, preferred families first (a font matplotlib's cache
    predates, or one outside the folders it scans)."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file", "family"], capture_output=True, text=True,
                                timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    fonts: list[tuple[int, str]] = []
    for line in listed.splitlines():
        path, _, families = line.partition(": ")
        if not path.lower().endswith((".ttf", ".ttc", ".otf")):
            continue
        names = [name.strip() for name in families.split(",")]
        rank = min((CJK_FAMILIES.index(n) for n in names if n in CJK_FAMILIES), default=len(CJK_FAMILIES))
        fonts.append((rank, path))
    return [path for _, path in sorted(fonts)]


def chart_locale(locale: str) -> str:
    """The language of chart labels: the digest's, unless it needs CJK glyphs no font here has."""
    return locale if locale == i18n.DEFAULT_LOCALE or cjk_font() else i18n.DEFAULT_LOCALE


def font_families() -> list[str]:
    """Latin first (its digits and punctuation), then CJK glyphs by matplotlib's per-glyph fallback."""
    font = cjk_font()
    return [LATIN_FAMILY, font] if font else [LATIN_FAMILY]


def charts(digest: Digest) -> tuple[Chart, ...]:
    """The three charts of ``digest``, in the order they are posted."""
    locale = chart_locale(digest.locale)
    drawn = (("sentiment", "report.digest.chart.sentiment", sentiment_trend),
             ("volume", "report.digest.chart.volume", volume_and_actives),
             ("communities", "report.digest.chart.communities", sentiment_by_community))
    return tuple(Chart(name, i18n.translate(title, digest.locale), png(draw(digest, locale)))
                 for name, title, draw in drawn)


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, fontfamily=font_families(), fontsize=13, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelfontfamily=font_families())
    return figure, axes


def _no_data(axes: Axes, locale: str) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, i18n.translate("report.digest.chart.no_data", locale), ha="center", va="center",
              transform=axes.transAxes, fontfamily=font_families(), fontsize=12, color="#57606a")


def _legend_beside(axes: Axes, handles: list[Artist], labels: list[str]) -> None:
    axes.legend(handles, labels, prop=font_manager.FontProperties(family=font_families(), size=10),
                frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _shares(mix: Mix) -> dict[str, float]:
    return {label: mix.share(label) or 0.0 for label in LABELS}


def _stacked(axes: Axes, positions: Sequence[float], mixes: Sequence[Mix], locale: str,
             horizontal: bool) -> None:
    """100% stacked bars of the sentiment labels, negative at the base where it is easiest to compare."""
    base = [0.0] * len(mixes)
    draw: Callable[..., object] = axes.barh if horizontal else axes.bar
    for label in reversed(LABELS):
        values = [_shares(mix)[label] for mix in mixes]
        offset = {"left": base} if horizontal else {"bottom": base}
        draw(positions, values, 0.75, color=COLOURS[label],
             label=i18n.translate(f"report.digest.sentiment.{label}", locale), **offset)
        base = [b + v for b, v in zip(base, values, strict=True)]


def _day_ticks(axes: Axes, digest: Digest) -> None:
    step = max(1, -(-len(digest.days) // MAX_DAY_TICKS))
    positions = list(range(0, len(digest.days), step))
    axes.set_xticks(positions, [digest.days[i].day.strftime("%m-%d") for i in positions])


def sentiment_trend(digest: Digest, locale: str) -> Figure:
    """Each local day's mix of scored messages as shares; a day with nothing scored is a gap."""
    figure, axes = _figure(i18n.translate("report.digest.chart.sentiment", locale))
    if not any(day.mix.scored for day in digest.days):
        _no_data(axes, locale)
        return figure
    _stacked(axes, range(len(digest.days)), [day.mix for day in digest.days], locale, horizontal=False)
    _day_ticks(axes, digest)
    axes.set_ylim(0, 1)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_ylabel(i18n.translate("report.digest.chart.share", locale), fontfamily=font_families())
    handles, labels = axes.get_legend_handles_labels()
    _legend_beside(axes, handles[::-1], labels[::-1])  # top to bottom, as stacked
    return figure


def volume_and_actives(digest: Digest, locale: str) -> Figure:
    """Messages per day as bars, active members as a line on their own axis (they differ in scale)."""
    figure, axes = _figure(i18n.translate("report.digest.chart.volume", locale))
    if not any(day.messages for day in digest.days):
        _no_data(axes, locale)
        return figure
    positions = range(len(digest.days))
    bars = axes.bar(positions, [day.messages for day in digest.days], 0.75, color=VOLUME_COLOUR,
                    label=i18n.translate("report.digest.chart.messages", locale))
    actives_axes = axes.twinx()
    actives_axes.tick_params(labelfontfamily=font_families())
    actives_axes.spines[["top"]].set_visible(False)
    (line,) = actives_axes.plot(positions, [day.active_members for day in digest.days], color=ACTIVES_COLOUR,
                                marker="o", markersize=3, linewidth=2,
                                label=i18n.translate("report.digest.chart.actives", locale))
    axes.set_ylim(bottom=0)
    actives_axes.set_ylim(bottom=0)
    _day_ticks(axes, digest)
    axes.set_ylabel(i18n.translate("report.digest.chart.messages", locale), fontfamily=font_families())
    actives_axes.set_ylabel(i18n.translate("report.digest.chart.actives", locale), fontfamily=font_families())
    axes.legend(handles=[bars, line], prop=font_manager.FontProperties(family=font_families(), size=10),
                frameon=False, loc="upper left")
    return figure


def _busiest(communities: Sequence[GroupMix]) -> list[GroupMix]:
    scored = [group for group in communities if group.mix.scored]
    return sorted(scored, key=lambda group: -group.mix.scored)[:MAX_COMMUNITIES]


def _short(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def sentiment_by_community(digest: Digest, locale: str) -> Figure:
    """One 100% bar per community (the busiest on top), with its number of scored messages."""
    figure, axes = _figure(i18n.translate("report.digest.chart.communities", locale))
    shown = _busiest(digest.communities)
    if not shown:
        _no_data(axes, locale)
        return figure
    positions = list(range(len(shown)))[::-1]
    _stacked(axes, positions, [group.mix for group in shown], locale, horizontal=True)
    axes.set_yticks(positions, [f"{_short(group.label)}  (n={group.mix.scored:,})" for group in shown])
    axes.set_xlim(0, 1)
    spare = max(0, MIN_COMMUNITY_SLOTS - len(shown)) / 2  # a few communities: bars of normal thickness
    axes.set_ylim(-0.6 - spare, len(shown) - 0.4 + spare)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    _legend_beside(axes, *axes.get_legend_handles_labels())
    return figure
