"""The demo's landing page in a real browser: headless Chromium, driven by
selenium through chromedriver (both from Debian's packages: ``apt-get install
chromium chromium-driver``), against the demo served by ``flaskrs run`` on
loopback, as ``make serve`` serves it.

The page loads with no console error, every link on it answers (a 200 over
urllib, where selenium has no status code, and a page with no console error
in the browser), the flash form shows its messages once after the redirect,
and a screenshot of the page is saved to ``$FLASKRS_ARTIFACTS/landing.png``
(``.cache/artifacts/`` by default). Skipped only where no Chromium or
chromedriver is on PATH."""

from __future__ import annotations

import base64
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from page_links import Page
from serving import free_port
from serving import start_server
from serving import stop_group
from serving import wait_for_port

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="no browser: chromium and chromedriver are not on PATH"
    " (on Debian: apt-get install chromium chromium-driver; .ci/run installs them)",
)

# The landing page's links that answer an error on purpose (data-expect-status).
ERROR_LINKS = {"/no-such-page": 404, "/api/no-such-endpoint": 404}


def artifacts() -> Path:
    path = Path(os.environ.get("FLASKRS_ARTIFACTS") or REPO / ".cache" / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    """The demo under ``flaskrs run``, the command ``make serve`` runs."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK")}
    cmd = [str(BIN / "flaskrs"), "--app", "demo/app.py", "run", "--port", str(port)]
    proc = start_server(cmd, env=env, cwd=REPO)
    try:
        wait_for_port(port, proc, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        output = stop_group(proc, timeout=10)
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(downloads: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in a container has no user namespace for it
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(argument)
    # Console messages of the page, for driver.get_log("browser").
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            # Off, a .py attachment stays an "Unconfirmed *.crdownload"
            # waiting for a click on "Keep"; on, it is saved (nothing is
            # looked up: there is no network, and none is needed).
            "safebrowsing.enabled": True,
        },
    )
    # The driver named, so that selenium looks for nothing on the network.
    chrome = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        yield chrome
    finally:
        chrome.quit()


def severe(chrome: webdriver.Chrome) -> list[dict[str, Any]]:
    """The console errors since the last call (reading the log drains it)."""
    return [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]


def wait_for(chrome: webdriver.Chrome, condition: Any) -> None:
    """Until ``condition(chrome)`` holds; an element of the page that was
    being left is no error (after a click the old page may still answer)."""
    WebDriverWait(
        chrome, 10, ignored_exceptions=(StaleElementReferenceException,)
    ).until(condition)


def submit(chrome: webdriver.Chrome, button_css: str) -> None:
    """Click a form's button and return once the page it leads to (after
    the redirect) is loaded: the old page gone, the new one complete. An
    element of the page being left can otherwise still be found and then
    vanish under the test."""
    button = chrome.find_element(By.CSS_SELECTOR, button_css)
    button.click()
    wait_for(chrome, expected_conditions.staleness_of(button))
    wait_for(
        chrome, lambda d: d.execute_script("return document.readyState") == "complete"
    )


def section_text(chrome: webdriver.Chrome, element_id: str) -> str:
    # Read in one script, in whichever document is current.
    found = chrome.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.innerText : ''",
        element_id,
    )
    return str(found)


def load(chrome: webdriver.Chrome, url: str) -> None:
    chrome.get(url)
    wait_for(
        chrome, lambda d: d.execute_script("return document.readyState") == "complete"
    )


def fetch(url: str, cookies: str) -> tuple[int, Any, bytes]:
    """Status, headers and body of a GET with the browser's cookies."""
    request = urllib.request.Request(url, headers={"Cookie": cookies})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


def cookie_header(chrome: webdriver.Chrome) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in chrome.get_cookies())


def text(chrome: webdriver.Chrome, css: str) -> list[str]:
    return [e.text for e in chrome.find_elements(By.CSS_SELECTOR, css)]


def test_landing_page_loads_clean_and_is_saved(
    driver: webdriver.Chrome, base: str
) -> None:
    load(driver, base + "/")
    assert severe(driver) == []
    assert driver.title == "Flask 3.1.3, with a Rust core · flaskrs demo"
    assert driver.find_element(By.TAG_NAME, "h1").text == "flaskrs"
    # The stylesheet applied: the header bar is dark, the buttons rust.
    header = driver.find_element(By.CSS_SELECTOR, "header.site")
    assert header.value_of_css_property("background-color") == "rgba(36, 41, 47, 1)"
    cards = driver.find_elements(By.CSS_SELECTOR, "div.card")
    assert len(cards) >= 9 and all(c.is_displayed() for c in cards)
    # The whole page in one picture, beyond the window (DevTools protocol).
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": dict(clip, scale=1)},
    )
    path = artifacts() / "landing.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert path.stat().st_size > 20_000  # a rendered page, not a blank one
    print(f"screenshot of the landing page: {path}")


def test_every_link_answers(
    driver: webdriver.Chrome, base: str, downloads: Path
) -> None:
    # Logged in (through the page's own form), so /profile is a 200 too.
    load(driver, base + "/")
    submit(driver, 'form[action="/login"] button')
    assert "Logged in as alice" in section_text(driver, "sessions")
    assert driver.current_url == base + "/"
    assert severe(driver) == []
    page = Page(driver.page_source)
    cookies = cookie_header(driver)
    assert cookies.startswith("session=")

    paths = []
    for href, _ in page.links:
        path = href.split("#")[0] or "/"
        if path not in paths:
            paths.append(path)
    assert len(paths) >= 15 and set(ERROR_LINKS) <= set(paths)
    marked = {
        href: int(attributes["data-expect-status"] or 0)
        for href, attributes in page.links
        if "data-expect-status" in attributes
    }
    assert marked == ERROR_LINKS

    for path in paths:
        url = base + path
        status, headers, body = fetch(url, cookies)
        expected = ERROR_LINKS.get(path, 200)
        assert status == expected, path
        assert body, path
        if headers.get("Content-Disposition", "").startswith("attachment"):
            # Not a page: the browser saves it and stays where it was.
            before = driver.current_url
            load(driver, url)
            name = headers.get_filename()
            saved = downloads / name
            deadline = time.monotonic() + 10
            while not saved.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert saved.read_bytes() == body, path
            assert driver.current_url == before
            assert severe(driver) == []
            continue
        load(driver, url)
        assert driver.current_url == url
        errors = severe(driver)
        if expected != 200:
            # The one error allowed: the answer's own status, on purpose.
            assert len(errors) == 1, errors
            assert f"status of {expected}" in errors[0]["message"]
            assert url in errors[0]["message"]
        else:
            assert errors == [], path
        kind = headers.get_content_type()
        if kind.startswith("image/"):
            # Shown as an image the browser could decode.
            width = driver.execute_script(
                "return document.querySelector('img').naturalWidth"
            )
            assert width == 32, path
            continue
        shown = driver.find_element(By.TAG_NAME, "body").text.strip()
        assert shown, path
        if b"<title>" in body:
            # One of the demo's pages.
            title = Page(body.decode()).title
            assert title.endswith(" · flaskrs demo") and driver.title == title, path
        else:
            # Text (or a bare string as HTML): what was served, first line.
            first = body.decode().strip().splitlines()[0].strip()
            assert first in driver.page_source or first in shown, path

    # Logged out again through the page's form.
    load(driver, base + "/")
    submit(driver, 'form[action="/logout"] button')
    assert "Not logged in." in section_text(driver, "sessions")
    assert fetch(base + "/profile", cookie_header(driver))[0] == 401
    assert severe(driver) == []


def test_flash_form_shows_its_messages_once(
    driver: webdriver.Chrome, base: str
) -> None:
    driver.delete_all_cookies()
    load(driver, base + "/")
    submit(driver, "#flash-form button")
    # The POST redirects to the flash page, which reads the session.
    assert driver.current_url == base + "/flash/"
    assert text(driver, "ul.flashes li.message") == ["Form submitted successfully!"]
    assert text(driver, "ul.flashes li.warning") == ["Warning: check your input"]
    assert text(driver, "ul.flashes li.none") == []
    # They crossed the redirect in the session cookie; read, they leave the
    # session empty, and an empty session's cookie is deleted.
    assert driver.get_cookies() == []
    assert severe(driver) == []
    # Shown once: a reload finds none.
    driver.refresh()
    wait_for(
        driver, lambda d: d.execute_script("return document.readyState") == "complete"
    )
    assert text(driver, "ul.flashes li.none") == ["No messages."]
    assert text(driver, "ul.flashes li.message") == []
    assert severe(driver) == []
