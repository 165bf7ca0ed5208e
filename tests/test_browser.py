"""The web edition in a real browser: Debian's Chromium, headless, driven by Selenium
through Debian's chromedriver (never a downloaded browser).

Each of four pages is opened at 1,280 and 375 px: no console errors, no horizontal
scrolling, the Chinese text drawn with a real CJK font (not tofu), the autodiscovery
links the browser sees. Screenshots go to tests/screenshots/ for a person to look at.
Without Chromium the tests skip, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SEED
from test_build import CONFIG, SECOND, build, write_project
from test_pages import THIRD

from feeds.formats import FORMATS
from feeds.serve import make_server

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
PAGES = ["index.html", "issues/2024-30.html", "sections/fen-bu-shi-xi-tong/index.html", "archive.html"]


def _browser_or_skip() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        message = f"no browser to test with: {', '.join(missing)} missing"
        if os.environ.get("CI"):
            pytest.fail(message + " (.ci/run installs chromium and chromium-driver)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The site built for, and served by ``feeds serve``'s server at, a local address."""
    _browser_or_skip()
    root = tmp_path_factory.mktemp("browser")
    (root / "output").mkdir()
    server = make_server(root / "output", "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    write_project(root, {"2024-07-20-29.md": SEED.read_bytes(), "2024-07-27-30.md": SECOND,
                         "2025-01-03-1.md": THIRD}, CONFIG)
    code, _, err = build(root, "--base-url", base)
    assert code == 0, err
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, root
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def driver(served: tuple[str, Path]) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not fetch anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def _open(driver: Any, url: str, width: int, dark: bool = False) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900 if width > 600 else 800, "deviceScaleFactor": 1,
        "mobile": width <= 600})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})
    driver.get_log("browser")  # start each page with an empty console
    driver.get(url)


def _screenshot(driver: Any, name: str) -> Path:
    shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                  {"format": "png", "captureBeyondViewport": True})
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


_GLYPHS = """
const font = getComputedStyle(document.body).fontFamily;
function pixels(text) {
  const canvas = document.createElement('canvas');
  canvas.width = 80; canvas.height = 48;
  const ctx = canvas.getContext('2d');
  ctx.font = '36px ' + font;
  ctx.fillText(text, 2, 38);
  return Array.from(ctx.getImageData(0, 0, 80, 48).data).join(',');
}
return [pixels('云'), pixels('计'), pixels('\\u{10FFFD}'), pixels('')];
"""


def _fonts_of(driver: Any, selector: str) -> list[str]:
    """The platform fonts Chromium drew the first element matching ``selector`` with."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [f["familyName"] for f in fonts if f["glyphCount"]]


def _cjk_families() -> set[str]:
    done = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return {name.strip() for line in done.stdout.splitlines() for name in line.split(",")}


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("path", PAGES)
def test_page_in_chromium(driver: Any, served: tuple[str, Path], path: str, width: int) -> None:
    base, _ = served
    _open(driver, base + path, width)
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    # style.css applied (served with its type: a browser may refuse a stylesheet otherwise)
    assert driver.execute_script("return getComputedStyle(document.body).backgroundColor") == \
        "rgb(253, 253, 252)"
    scroll, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == width and scroll <= inner, f"{path} scrolls sideways at {width} px: {scroll}"
    assert driver.execute_script("return document.querySelectorAll('h1').length") == 1
    # the Chinese text is drawn with a real font: two characters differ, and neither is
    # the box drawn for a code point no font has
    yun, ji, missing, blank = driver.execute_script(_GLYPHS)
    assert yun != blank and ji != blank
    assert yun != ji and yun != missing and ji != missing, "CJK text is drawn as tofu"
    if shutil.which("fc-list"):
        used = _fonts_of(driver, "h1")
        assert set(used) & _cjk_families(), f"the h1 is drawn with {used}, no CJK font"
    # the autodiscovery links as the browser resolved them
    seen = driver.execute_script(
        "return Array.from(document.querySelectorAll('link[rel~=alternate]'))"
        ".map(l => [l.type, l.href])")
    want = [[f.media_type, base + f.file_name] for f in FORMATS]
    if path.startswith("sections/"):
        slug = path.split("/")[1]
        want += [[f.media_type, f"{base}sections/{slug}/{f.file_name}"] for f in FORMATS]
    elif path == "index.html":
        want += [[f.media_type, f"{base}digest/{f.file_name}"] for f in FORMATS]
    assert seen == want
    name = path.replace("/", "_").removesuffix(".html")
    shot = _screenshot(driver, f"{name}-{width}.png")
    print(f"screenshot: {shot}")


def test_dark_scheme_and_focus_are_styled(driver: Any, served: tuple[str, Path]) -> None:
    base, _ = served
    _open(driver, base + "index.html", 375, dark=True)
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 24, 28)"
    link = driver.find_element("css selector", "main a")
    driver.execute_script("arguments[0].focus()", link)
    from selenium.webdriver.common.keys import Keys

    driver.find_element("css selector", "body").send_keys(Keys.TAB)
    outline = driver.execute_script(
        "const a = document.activeElement; return [a.tagName, getComputedStyle(a).outlineStyle,"
        " getComputedStyle(a).outlineWidth]")
    assert outline == ["A", "solid", "3px"]
    print(f"screenshot: {_screenshot(driver, 'index-375-dark.png')}")
