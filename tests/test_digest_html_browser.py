"""The digest's HTML report opened from disk in headless Chromium, in English and Chinese.

The issue's "done when": each part of the report and each feature section is
present and visible, each chart is an image that really loaded (at its drawn
size), members' text stays text, and the page fits the window without sideways
scrolling. A full-page screenshot per language is kept in ``tests/artifacts``.
Skips without Chromium and chromedriver unless ENGAGEBOT_REQUIRE_CHROMIUM is set
(CI sets it and installs them), like the UGC gallery's test.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.reports.digest import render
from bot.reports.digest_charts import HEIGHT_PX, WIDTH_PX
from tests.digest_sample import HOSTILE, sample_digest
from tests.test_ugc_gallery import NEEDS_CHROMIUM

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PARTS = ("activity", "sentiment", "charts", "days", "communities", "languages", "highlights", "terms",
         "points", "tiers", "contributors", "section-nps", "section-alerts")
WIDTH = 1280


def _browser() -> Any:
    """Headless Chromium through the system chromedriver (Selenium Manager never downloads one)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "ENGAGEBOT_REQUIRE_CHROMIUM is set but chromium or chromedriver is missing"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 f"--window-size={WIDTH},1000"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@NEEDS_CHROMIUM
@pytest.mark.parametrize(("locale", "title", "heading"), [
    ("en", "Acme <Coffee>: community digest", "Activity"),
    ("zh-CN", "Acme <Coffee>：社区简报", "活跃度"),
])
def test_digest_report_opens_from_disk_in_headless_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            locale: str, title: str, heading: str) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")
    rendered = render(sample_digest(locale))
    report = rendered.attachments[-1]
    page = tmp_path / report.filename
    page.write_bytes(report.data)
    browser = _browser()
    try:
        browser.get(page.as_uri())
        _check_report(browser, title, heading)
        _keep_screenshot(browser, f"digest_{locale}.png")
    finally:
        browser.quit()


def _check_report(browser: Any, title: str, heading: str) -> None:
    from selenium.webdriver.common.by import By

    assert browser.title == title
    sections = browser.find_elements(By.CSS_SELECTOR, "section.digest-part")
    assert [s.get_attribute("id") for s in sections] == list(PARTS)
    for section in sections:
        assert section.is_displayed() and section.size["height"] > 0, section.get_attribute("id")
        assert section.find_element(By.TAG_NAME, "h2").text
    assert sections[0].find_element(By.TAG_NAME, "h2").text == heading
    images = browser.find_elements(By.CSS_SELECTOR, "img.chart")
    assert len(images) == 3
    for image in images:
        loaded = browser.execute_script("return [arguments[0].complete, arguments[0].naturalWidth, "
                                        "arguments[0].naturalHeight]", image)
        assert loaded == [True, WIDTH_PX, HEIGHT_PX], loaded
        assert image.is_displayed() and image.size["width"] > 0
    text = browser.find_element(By.TAG_NAME, "body").text
    assert HOSTILE in text and browser.title != "pwned"
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a.original")]
    assert links == ["https://discord.com/channels/111/5/9001", "https://t.me/c/222/45"]
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def _keep_screenshot(browser: Any, name: str) -> None:
    """The whole page: the window is grown to the document's height first."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(WIDTH, height + 120)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / name
    assert browser.save_screenshot(str(shot))
    print(f"digest screenshot: {shot}")
