"""Rendering a digest: the PNG charts, the HTML report, the chat summary and the renderer's output.

The digests are hand-made (``tests.digest_sample``), so every figure expected
below follows from the sample's numbers; the charts are checked through the
data they plot, not pixels.
"""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from bot.reports import digest_charts
from bot.reports.digest import render
from bot.reports.digest_charts import HEIGHT_PX, WIDTH_PX, chart_locale, charts, cjk_font
from bot.reports.digest_html import digest_html
from bot.reports.digest_summary import MAX_CHARS, summary
from bot.reports.digest_text import bounds, count_change, share_change
from handlers.digest.model import Digest, Mix, Period, Section, Term
from tests.digest_sample import ALERTS, HOSTILE, NPS, Page, empty_digest, sample_digest

PARTS = ("activity", "sentiment", "charts", "days", "communities", "languages", "highlights", "terms",
         "points", "tiers", "contributors")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _bars(figure: Figure) -> dict[str, list[float]]:
    """Each bar series of the figure's main axes by its legend label: heights, or widths when horizontal."""
    axes = figure.axes[0]
    series: dict[str, list[float]] = {}
    for container in axes.containers:
        assert isinstance(container, BarContainer)
        horizontal = container.orientation == "horizontal"
        series[str(container.get_label())] = [bar.get_width() if horizontal else bar.get_height()
                                         for bar in container]
    return series


def _texts(figure: Figure) -> list[str]:
    return [text.get_text() for text in figure.findobj(Text) if text.get_text()]


def test_charts_are_pngs_of_the_expected_size() -> None:
    drawn = charts(sample_digest())
    assert [c.name for c in drawn] == ["sentiment", "volume", "communities"]
    assert [c.title for c in drawn] == ["Sentiment per day", "Messages and active members per day",
                                        "Sentiment by community"]
    for chart in drawn:
        assert chart.png.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(chart.png)) as image:
            image.verify()
        with Image.open(io.BytesIO(chart.png)) as image:
            assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)
    empty = charts(empty_digest())
    assert all(a.png != b.png for a, b in zip(drawn, empty, strict=True))


def test_sentiment_chart_plots_each_days_shares() -> None:
    digest = sample_digest()
    bars = _bars(digest_charts.sentiment_trend(digest, "en"))
    for label in ("positive", "neutral", "negative"):
        expected = [day.mix.share(label) or 0.0 for day in digest.days]
        assert bars[label.capitalize()] == pytest.approx(expected)
    assert digest.days[-1].mix.scored == 0 and bars["Positive"][-1] == 0  # a quiet day is an empty slot


def test_volume_chart_plots_messages_and_actives() -> None:
    digest = sample_digest()
    figure = digest_charts.volume_and_actives(digest, "en")
    assert _bars(figure)["Messages"] == [day.messages for day in digest.days]
    (line,) = figure.axes[1].get_lines()
    assert np.asarray(line.get_ydata()).tolist() == [day.active_members for day in digest.days]
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert labels[0] == digest.days[0].day.strftime("%m-%d")


def test_community_chart_shows_the_busiest_first_with_counts() -> None:
    digest = sample_digest()
    figure = digest_charts.sentiment_by_community(digest, "en")
    busiest = sorted(digest.communities, key=lambda g: -g.mix.scored)
    assert _bars(figure)["Negative"] == pytest.approx([g.mix.share("negative") for g in busiest])
    ticks = sorted(figure.axes[0].get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in ticks] == [f"{g.label}  (n={g.mix.scored:,})" for g in busiest]


def test_charts_of_an_empty_period_say_so() -> None:
    for draw in (digest_charts.sentiment_trend, digest_charts.volume_and_actives,
                 digest_charts.sentiment_by_community):
        assert "No data in this period" in _texts(draw(empty_digest(), "en"))


def _fontconfig_chinese_files() -> list[str]:
    if not shutil.which("fc-list"):
        return []
    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                            check=False).stdout
    return [line.strip().rstrip(":") for line in listed.splitlines()
            if line.strip().rstrip(":").lower().endswith((".ttf", ".ttc", ".otf"))]


def test_chinese_charts_use_a_cjk_font_when_there_is_one() -> None:
    digest = sample_digest("zh-CN")
    font = cjk_font()
    figure = digest_charts.sentiment_trend(digest, chart_locale("zh-CN"))
    if font is None:
        # No font with Chinese glyphs here: the charts fall back to English labels, not empty boxes.
        assert not _fontconfig_chinese_files() and chart_locale("zh-CN") == "en"
        assert "Sentiment per day" in _texts(figure)
        return
    assert chart_locale("zh-CN") == "zh-CN"
    title = next(t for t in figure.findobj(Text) if t.get_text() == "每日情绪")
    assert font in title.get_fontfamily()
    path = font_manager.fontManager.findfont(font_manager.FontProperties(family=font),
                                             fallback_to_default=False)
    assert all(font_manager.get_font(path).get_char_index(ord(ch)) for ch in "每日情绪积极消极已评分消息占比")
    assert {"积极", "中性", "消极", "已评分消息占比"} <= set(_texts(figure))
    assert [c.title for c in charts(digest)] == ["每日情绪", "每日消息量与活跃成员", "各社区情绪"]


def test_changes_compare_with_the_previous_period() -> None:
    assert (count_change(510, 400, "en").text, count_change(510, 400, "en").direction) == ("+28%", "up")
    assert count_change(95, 100, "en").text == "\u22125.0%"
    assert (count_change(3, 0, "en").text, count_change(3, 0, "en").comparable) == ("new", False)
    assert count_change(0, 0, "zh-CN").text == "持平"
    assert share_change(0.59, 0.533, "en").text == "+5.7 pp"
    assert share_change(0.2, 0.25, "zh-CN").text == "\u22125.0 个百分点"
    assert share_change(None, 0.3, "en").direction == "none"
    assert count_change(15, 10, "en").tone(False) == "bad" and count_change(5, 10, "en").tone(False) == "good"


def test_period_bounds_are_local_days_or_times() -> None:
    assert bounds(sample_digest().period) == ("2026-11-23", "2026-11-29")  # Shanghai midnight to midnight
    partial = Period(datetime(2026, 11, 30, 9, 30), datetime(2026, 12, 1, 9, 30), "Europe/Paris")
    assert bounds(partial) == ("2026-11-30 10:30", "2026-12-01 10:30")


def test_html_shows_every_part_compared_with_the_previous_period() -> None:
    digest = sample_digest()
    drawn = charts(digest)
    page = Page(digest_html(digest, drawn))
    assert page.lang == "en" and page.title == "Acme <Coffee>: community digest"
    assert list(page.sections) == [*PARTS, "section-nps", "section-alerts"]
    activity = page.sections["activity"]
    messages = digest.activity.messages
    assert f"{messages}" in activity and count_change(messages, 400, "en").text in activity
    assert "86.4%" in activity and "75.0%" in activity and "+11.4 pp" in activity  # retention
    sentiment = page.sections["sentiment"]
    assert "59.1%" in sentiment and "53.3%" in sentiment and "+5.8 pp" in sentiment and "165" in sentiment
    assert "2026-11-28" in page.sections["days"] and "110" in page.sections["days"]
    assert "Acme Telegram" in page.sections["communities"] and "\u22127.4 pp" in page.sections["communities"]
    assert "zh" in page.sections["languages"] and "\u22128.0 pp" in page.sections["languages"]
    terms = page.sections["terms"]
    assert "新品" in terms and "+350%" in terms and "new" in terms and "\u221214%" in terms
    points = page.sections["points"]
    assert "2,350" in points and "2,100" in points and "+12%" in points and "900" in points
    assert "Streak bonus" in points and "nps_completed" in points  # an unknown reason shows as stored
    assert "Bronze" in page.sections["tiers"] and "12" in page.sections["tiers"]
    assert "Alice 🌸" in page.sections["contributors"] and "小王" in page.sections["contributors"]


def test_html_embeds_the_charts_and_loads_nothing() -> None:
    digest = sample_digest()
    drawn = charts(digest)
    html = digest_html(digest, drawn)
    page = Page(html)
    assert [i["alt"] for i in page.images] == [c.title for c in drawn]
    assert [base64.b64decode(i["src"].removeprefix("data:image/png;base64,")) for i in page.images] == \
        [c.png for c in drawn]
    assert "default-src 'none'" in html and "http" not in "".join(i["src"][:10] for i in page.images)


def test_html_escapes_members_text_and_links_only_web_addresses() -> None:
    page_html = digest_html(sample_digest(), charts(sample_digest()))
    page = Page(page_html)
    assert HOSTILE in page.sections["highlights"] and "<img src=x" not in page_html
    # the negative highlight's javascript: link is not a link
    assert page.links == ["https://discord.com/channels/111/5/9001", "https://t.me/c/222/45"]
    assert "Bob in Acme Discord, 2026-11-27 00:00" in page.sections["highlights"]  # Shanghai time
    assert "Negative 91%" in page.sections["highlights"] and "UGC" in page.sections["highlights"]


def test_feature_sections_render_generically() -> None:
    bare = Section(key="Contests & more", title="Contests")
    digest = sample_digest(sections=(NPS, ALERTS, bare))
    page = Page(digest_html(digest, charts(digest)))
    nps = page.sections["section-nps"]
    assert NPS.headline and NPS.note
    cells = [cell for row in NPS.rows for cell in row]
    for shown in (NPS.title, NPS.headline, NPS.note, *NPS.columns, *cells):
        assert shown in nps, shown
    alerts = page.sections["section-alerts"]
    assert all(cell in alerts for row in ALERTS.rows for cell in row)
    assert page.sections["section-contests-more"].split() == ["Contests", "Nothing", "in", "this", "period."]
    assert page.headings[-3:] == ["NPS", "Alerts", "Contests"]


def test_empty_digest_shows_every_part_saying_nothing_happened() -> None:
    page = Page(digest_html(empty_digest(), charts(empty_digest())))
    assert list(page.sections) == list(PARTS)
    for part in ("days", "communities", "languages", "highlights", "terms", "tiers", "contributors"):
        assert "Nothing in this period." in page.sections[part], part


def test_chinese_report_has_chinese_headings() -> None:
    digest = sample_digest("zh-CN")
    page = Page(digest_html(digest, charts(digest)))
    assert page.lang == "zh-CN" and page.title == "Acme <Coffee>：社区简报"
    assert page.headings[:len(PARTS)] == ["活跃度", "情绪", "图表", "每日明细", "各社区情绪", "各语言情绪", "代表性内容",
                                         "热词", "积分", "等级变动", "贡献最多的成员"]
    assert "个百分点" in page.sections["sentiment"] and "连续活跃奖励" in page.sections["points"]
    assert "品牌中文群" in page.sections["communities"] and "查看原文" in page.sections["highlights"]


def test_summary_gives_volume_sentiment_nps_alerts_and_terms() -> None:
    lines = summary(sample_digest()).splitlines()
    assert lines == [
        "📊 Acme <Coffee> digest, 2026-11-23 – 2026-11-29",
        "Messages: 510 (+28% vs previous); active members: 120 (+9.1% vs previous)",
        "Sentiment: 59% positive (+5.8 pp vs previous), 27% neutral, 14% negative (\u22126.4 pp vs previous)",
        NPS.headline,
        f"Alerts raised: {len(ALERTS.rows)}",
        "Top terms: coffee, 新品, shipping",
        "Charts and the full report (HTML) are attached.",
    ]
    chinese = summary(sample_digest("zh-CN"))
    assert "消息数：510（较上期 +28%）" in chinese and "高频词：coffee、新品、shipping" in chinese


def test_summary_without_history_features_or_terms() -> None:
    lines = summary(empty_digest()).splitlines()
    assert lines[1:] == ["Messages: 0 (no change vs previous); active members: 0 (no change vs previous)",
                         "Sentiment: no scored messages", "Alerts raised: 0",
                         "Charts and the full report (HTML) are attached."]
    first_week = replace(sample_digest(sections=()), previous_activity=empty_digest().activity,
                         previous_mix=Mix())
    assert "Messages: 510; active members: 120" in summary(first_week)
    assert "Sentiment: 59% positive, 27% neutral, 14% negative" in summary(first_week)


def test_summary_stays_short_whatever_the_digest_holds() -> None:
    long = replace(sample_digest(sections=(replace(NPS, headline="NPS " + "9" * 5000), ALERTS)),
                   program_name="P" * 80, top_terms=tuple(Term("x" * 500, 9, 1) for _ in range(50)))
    text = summary(long)
    assert len(text) <= MAX_CHARS and "Alerts raised: 2" in text and text.count("x" * 29 + "…") == 3


def test_render_posts_summary_then_charts_then_html() -> None:
    digest = replace(sample_digest(), program_id="acme/../x y")
    rendered = render(digest)
    assert rendered.summary == summary(digest)
    stem = "digest-acme-x-y-2026-11-29"
    assert [(a.filename, a.media_type) for a in rendered.attachments] == [
        (f"{stem}-sentiment.png", "image/png"), (f"{stem}-volume.png", "image/png"),
        (f"{stem}-communities.png", "image/png"), (f"{stem}.html", "text/html")]
    page = Page(rendered.attachments[-1].data.decode("utf-8"))
    embedded = [base64.b64decode(i["src"].split(",", 1)[1]) for i in page.images]
    assert embedded == [a.data for a in rendered.attachments[:3]]  # drawn once, posted and embedded alike


def test_render_names_files_by_the_periods_last_local_day() -> None:
    digest = sample_digest()
    end = digest.period.end
    daily = replace(digest, period=Period(end - timedelta(days=1), end, "Asia/Shanghai"))
    assert render(daily).attachments[-1].filename == "digest-acme-2026-11-29.html"


def test_render_in_worker_threads_gives_the_same_files() -> None:
    digests: list[Digest] = [sample_digest("en"), sample_digest("zh-CN")] * 2
    alone = [render(d) for d in digests[:2]]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(render, digests))
    assert together == alone * 2
