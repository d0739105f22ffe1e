"""``engagebot ugc export``: CSV and JSON rows, and the HTML gallery opened in headless Chromium.

The gallery test is the issue's "done when": the page a brand team opens from
disk shows each requested status as a visible section, every thumbnail has
really loaded (``naturalWidth > 0``), members' text is shown as text, and each
submission links to its original. It skips when Chromium or chromedriver is not
installed, unless ENGAGEBOT_REQUIRE_CHROMIUM is set (CI sets it and installs them).
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import importlib.util
import io
import json
import os
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from typer.testing import CliRunner

from bot import ugc_export
from bot.cli import app
from bot.reports.render import thumbnail
from handlers.ugc.media_store import MediaStore
from storage import schema
from storage.database import Database
from storage.models import Identity, Member, Message
from storage.ugc import UgcSubmission
from tests.conftest import T0

runner = CliRunner()
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
BOM = "\ufeff"
HOSTILE = 'New poster <img src=x onerror="document.title=\'pwned\'"> 新海报 & more'


def _image(width: int, height: int, mode: str, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), (200, 80, 40, 128) if mode == "RGBA" else (30, 120, 200)).save(buffer, fmt)
    return buffer.getvalue()


@dataclass(frozen=True)
class Media:
    data: bytes
    mime: str
    kind: str
    filename: str
    stored: bool = True  # False: the row names it but the file is not in the media folder

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


SUNSET = Media(_image(1200, 900, "RGBA", "PNG"), "image/png", "image", "sunset.png")
POSTER = Media(_image(640, 480, "RGB", "JPEG"), "image/jpeg", "image", "poster.jpg")
DRAFT = Media(_image(300, 500, "RGB", "PNG"), "image/png", "image", "draft.png")
CLIP = Media(b"\x00\x00\x00\x18ftypmp42" + bytes(1_572_852), "video/mp4", "video", "unboxing.mp4")
BROCHURE = Media(b"%PDF-1.4 brochure", "application/pdf", "document", "brochure.pdf", stored=False)

# name: (program, author, platform, status, text, media, permalink, sentiment, contest)
SUBMISSIONS: dict[str, tuple[Any, ...]] = {
    "sunset": ("acme", "alice", "discord", "approved", "Sunset at the launch party",
               SUNSET, "https://discord.com/channels/111/5/9001", ("positive", 0.91, 0.03), None),
    "poster": ("acme", "bob", "telegram", "featured", HOSTILE, POSTER, "https://t.me/c/222/45",
               ("neutral", 0.2, 0.1), None),
    "clip": ("acme", "alice", "discord", "approved", "Unboxing", CLIP, None, ("negative", 0.05, 0.8), None),
    "words": ("acme", "carol", "telegram", "approved", "Three cheers\nfor the team", None, "javascript:alert(1)",
              None, 7),
    "brochure": ("acme", "alice", "discord", "approved", "", BROCHURE, None, None, None),
    "draft": ("acme", "bob", "telegram", "pending", "Work in progress", DRAFT, None, None, None),
    "spam": ("acme", "bob", "telegram", "rejected", "buy followers now", None, None, None, None),
    "elsewhere": ("beta", "bob", "telegram", "approved", "Another brand's post", None, None, None, None),
}
COMMUNITY = {"discord": "111", "telegram": "-100222"}


async def seed(database: Database, store: MediaStore) -> dict[str, int]:
    """Alice (Discord) absorbed Carol (Telegram) by /link, so Carol's identity now sits on
    Alice's member; Bob is on Telegram. Returns each submission's id by name."""
    async with database.unit_of_work() as s:
        members = {name: Member(created_at=T0) for name in ("alice", "bob", "carol")}
        s.add_all(members.values())
        await s.flush()
        members["carol"].merged_into = members["alice"].id
        s.add_all([Identity(platform="discord", platform_user_id="1", display_name="Alice 🌸",
                            member_id=members["alice"].id),
                   Identity(platform="telegram", platform_user_id="3", display_name="Carol",
                            member_id=members["alice"].id),
                   Identity(platform="telegram", platform_user_id="2", display_name="鲍勃",
                            member_id=members["bob"].id)])
        ids = {}
        for n, (name, row) in enumerate(SUBMISSIONS.items()):
            ids[name] = await _submit(s, n, members[row[1]].id, *row)
    for media in (SUNSET, POSTER, DRAFT, CLIP):
        await store.save(media.sha256, media.mime, media.data)
    return ids


async def _submit(s: Any, n: int, member_id: int, program: str, _author: str, platform: str, status: str,
                  text: str, media: Media | None, permalink: str | None, sentiment: tuple[str, float, float] | None,
                  contest: int | None) -> int:
    at = T0 + timedelta(hours=n)
    message = Message(program_id=program, platform=platform, community_id=COMMUNITY[platform], channel_id="5",
                      platform_message_id=f"m{n}", member_id=member_id, text=text, text_hash=f"h{n}", created_at=at,
                      refusal="ugc", sentiment_status="scored" if sentiment else "pending",
                      sentiment_label=sentiment and sentiment[0], p_positive=sentiment and sentiment[1],
                      p_negative=sentiment and sentiment[2])
    s.add(message)
    await s.flush()
    item = UgcSubmission(program_id=program, member_id=member_id, platform=platform,
                         community_id=COMMUNITY[platform], channel_id="5", platform_message_id=f"m{n}",
                         permalink=permalink, contest_id=contest, text=text, text_hash=f"h{n}" if text else None,
                         message_id=message.id, status=status, created_at=at,
                         reviewer=None if status == "pending" else "discord:99",
                         reviewed_at=None if status == "pending" else at + timedelta(minutes=30))
    if media is not None:
        item.media_sha256, item.media_type, item.media_mime = media.sha256, media.kind, media.mime
        item.media_size, item.media_filename = len(media.data), media.filename
    s.add(item)
    await s.flush()
    return item.id


async def test_collect_names_authors_as_now_and_keeps_to_the_program(db: Database, tmp_path: Path) -> None:
    ids = await seed(db, MediaStore(tmp_path / "media"))
    async with db.unit_of_work() as s:
        rows = await ugc_export.collect(s, "acme", ("approved", "featured"))
        pending = await ugc_export.collect(s, "acme", ("pending",))
        beta = await ugc_export.collect(s, "beta", ugc_export.STATUSES)
    assert [r["id"] for r in rows] == [ids[n] for n in ("sunset", "poster", "clip", "words", "brochure")]
    by_id = {r["id"]: r for r in rows}
    words, sunset, poster = by_id[ids["words"]], by_id[ids["sunset"]], by_id[ids["poster"]]
    assert (words["author"], words["platforms"], words["community"]) == ("Carol", ["discord", "telegram"],
                                                                         "telegram:-100222")
    assert (sunset["author"], sunset["platforms"]) == ("Alice 🌸", ["discord", "telegram"])
    assert (poster["author"], poster["platforms"], poster["status"]) == ("鲍勃", ["telegram"], "featured")
    assert (sunset["sentiment_label"], sunset["p_positive"], sunset["p_negative"]) == ("positive", 0.91, 0.03)
    assert (words["sentiment_label"], words["contest"], words["media_type"]) == (None, 7, None)
    assert (sunset["media_sha256"], sunset["media_size"], sunset["media_mime"]) == (SUNSET.sha256, len(SUNSET.data),
                                                                                     "image/png")
    assert (sunset["reviewer"], sunset["created_at"]) == ("discord:99", T0.isoformat())
    assert [r["id"] for r in pending] == [ids["draft"]] and pending[0]["reviewed_at"] is None
    assert [r["text"] for r in beta] == ["Another brand's post"]


def test_thumbnails_are_small_and_keep_transparency(tmp_path: Path) -> None:
    for media, mime, size in ((SUNSET, "image/png", (320, 240)), (POSTER, "image/jpeg", (320, 240))):
        path = tmp_path / media.filename
        path.write_bytes(media.data)
        uri = thumbnail(path)
        assert uri is not None and uri.startswith(f"data:{mime};base64,")
        assert Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).size == size
    (tmp_path / "fake.png").write_bytes(b"not an image")
    assert thumbnail(tmp_path / "fake.png") is None and thumbnail(tmp_path / "absent.png") is None


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config, a migrated SQLite database seeded with submissions, and the media folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENGAGEBOT_DATABASE_URL", raising=False)
    communities = [{"platform": "discord", "id": "111"}, {"platform": "telegram", "id": "-100222"}]
    config = {"database_url": f"sqlite+aiosqlite:///{tmp_path}/ugc.db", "media_dir": str(tmp_path / "media"),
              "programs": [{"id": "acme", "name": "Acme <Coffee>", "timezone": "Europe/Paris",
                            "communities": communities},
                           {"id": "beta", "name": "Beta", "locale": "zh-CN", "timezone": "Asia/Shanghai",
                            "communities": [{"platform": "telegram", "id": "-100333"}]}]}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")

    async def prepare() -> None:
        database = Database(config["database_url"])
        try:
            await schema.upgrade(database)
            await seed(database, MediaStore(config["media_dir"]))
        finally:
            await database.dispose()

    asyncio.run(prepare())
    return tmp_path


def _export(*args: str) -> Any:
    result = runner.invoke(app, ["ugc", "export", *args])
    assert result.exit_code == 0, result.output
    return result


def test_csv_is_excel_ready_and_empty_keeps_its_header(workspace: Path) -> None:
    _export("--program", "acme", "--status", "approved", "--status", "featured", "--out", "acme.csv")
    raw = (workspace / "acme.csv").read_text(encoding="utf-8")
    assert raw.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(raw[1:])))
    assert tuple(rows[0]) == ugc_export.FIELDS
    assert [r["media_filename"] for r in rows] == ["sunset.png", "poster.jpg", "unboxing.mp4", "", "brochure.pdf"]
    words = rows[3]
    assert (words["author"], words["platforms"], words["text"], words["contest"]) == (
        "Carol", "discord;telegram", "Three cheers\nfor the team", "7")
    assert rows[1]["text"] == HOSTILE and rows[1]["author"] == "鲍勃"
    _export("--program", "beta", "--status", "rejected", "--out", "empty.csv")
    assert (workspace / "empty.csv").read_text(encoding="utf-8") == BOM + ",".join(ugc_export.FIELDS) + "\n"


def test_json_rows_and_empty_list(workspace: Path) -> None:
    _export("--program", "acme", "--status", "pending,rejected", "--format", "json", "--out", "acme.json")
    rows = json.loads((workspace / "acme.json").read_text(encoding="utf-8"))
    assert [(r["status"], r["text"], r["platforms"]) for r in rows] == [
        ("pending", "Work in progress", ["telegram"]), ("rejected", "buy followers now", ["telegram"])]
    assert set(rows[0]) == set(ugc_export.FIELDS)
    _export("--program", "beta", "--status", "featured", "--format", "json")
    assert json.loads((workspace / "beta-ugc.json").read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("args", "says"), [
    (["--program", "nope"], "unknown program 'nope'"),
    (["--program", "acme", "--status", "approved,maybe"], "--status maybe: expected approved"),
    (["--program", "acme", "--format", "pdf"], "--format must be csv, json or html, got 'pdf'"),
    (["--program", "acme", "--out", "missing/acme.csv"], "folder missing does not exist"),
    (["--program", "acme", "--out", "."], "is a folder"),
    (["--program", "acme", "--config", "absent.yaml"], "config file absent.yaml not found"),
])
def test_mistakes_are_one_line_and_write_nothing(workspace: Path, args: list[str], says: str) -> None:
    before = sorted(workspace.iterdir())
    result = runner.invoke(app, ["ugc", "export", *args])
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1 and says in errors[0], result.output
    assert "Traceback" not in result.output and sorted(workspace.iterdir()) == before


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs Linux's /sys, where nobody may create files")
def test_unwritable_output_is_one_line(workspace: Path) -> None:
    result = runner.invoke(app, ["ugc", "export", "--program", "acme", "--format", "html",
                                 "--out", "/sys/engagebot-gallery.html"])
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1 and "Traceback" not in result.output, result.output
    assert errors[0].startswith("error: cannot write --out /sys/engagebot-gallery.html: ")


def test_gallery_follows_the_program_locale(workspace: Path) -> None:
    _export("--program", "beta", "--status", "approved,rejected", "--format", "html")
    page = (workspace / "beta-ugc.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "Beta：用户投稿" in page
    assert "已通过" in page and "已拒绝" in page and "暂无内容。" in page
    assert "Another brand&#39;s post" in page and "时间按 Asia/Shanghai" in page


def _chromium_ready() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver") and importlib.util.find_spec("selenium"))


# CI installs Chromium and sets ENGAGEBOT_REQUIRE_CHROMIUM, so there the test fails rather than skips.
NEEDS_CHROMIUM = pytest.mark.skipif(
    not (_chromium_ready() or os.environ.get("ENGAGEBOT_REQUIRE_CHROMIUM")),
    reason="headless gallery test needs selenium and the Debian packages chromium and chromium-driver")


def _browser() -> Any:
    """Headless Chromium through the system chromedriver (Selenium Manager never downloads one)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "ENGAGEBOT_REQUIRE_CHROMIUM is set but chromium or chromedriver is missing"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1800"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@NEEDS_CHROMIUM
def test_gallery_opens_from_disk_in_headless_chromium(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")
    _export("--program", "acme", "--status", "approved,featured,pending", "--format", "html", "--out", "g.html")
    page = workspace / "g.html"
    html = page.read_text(encoding="utf-8")
    assert "http" not in "".join(part.split('"', 1)[0] for part in html.split('src="')[1:])  # nothing fetched
    browser = _browser()
    try:
        browser.get(page.as_uri())
        _check_gallery(browser)
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "ugc_gallery.png"
        browser.save_screenshot(str(shot))
        print(f"gallery screenshot: {shot}")
    finally:
        browser.quit()


def _check_gallery(browser: Any) -> None:
    from selenium.webdriver.common.by import By

    assert browser.title == "Acme <Coffee>: user-generated content"
    sections = browser.find_elements(By.CSS_SELECTOR, "section.status-section")
    assert [s.get_attribute("id") for s in sections] == ["status-approved", "status-featured", "status-pending"]
    assert all(s.is_displayed() for s in sections)
    counts = [s.find_element(By.CSS_SELECTOR, "h2 .count").text for s in sections]
    assert counts == ["4 item(s)", "1 item(s)", "1 item(s)"]
    images = browser.find_elements(By.TAG_NAME, "img")
    assert [i.get_attribute("alt") for i in images] == ["sunset.png", "poster.jpg", "draft.png"]
    for image in images:
        loaded = browser.execute_script("return [arguments[0].complete, arguments[0].naturalWidth, "
                                        "arguments[0].naturalHeight]", image)
        assert loaded[0] and 0 < loaded[1] <= 320 and 0 < loaded[2] <= 320, loaded
        assert image.is_displayed() and image.size["width"] > 0
    text = browser.find_element(By.TAG_NAME, "body").text
    for shown in (HOSTILE, "Three cheers", "by Alice 🌸", "by Carol", "by 鲍勃", "contest #7", "Work in progress"):
        assert shown in text, shown
    assert browser.title != "pwned" and "buy followers" not in text
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a.original")]
    assert links == ["https://discord.com/channels/111/5/9001", "https://t.me/c/222/45"]
    video = browser.find_element(By.CSS_SELECTOR, "#status-approved .placeholder")
    assert video.text.split("\n") == ["Video", "unboxing.mp4", "1.5 MB"]
    missing = browser.find_elements(By.CSS_SELECTOR, ".placeholder .missing")
    assert len(missing) == 1 and missing[0].is_displayed() and missing[0].text == "file missing"
    badges = [b.text for b in browser.find_elements(By.CSS_SELECTOR, ".badge.sentiment")]
    assert badges == ["positive", "negative", "not scored", "not scored", "neutral", "not scored"]
