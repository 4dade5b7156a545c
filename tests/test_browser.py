"""A real browser plays a lesson: headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

It joins, clicks its way to an ending of the shipped story, answers the end questions, and watches the teacher's
dashboard fill in by itself (JavaScript refresh). Screenshots of a scene and of the dashboard are taken every
run; with DUALPOWER_SCREENSHOTS=1 (`make screenshots`) they are saved as docs/web-scene.png and
docs/web-dashboard.png for the README.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHIPPED

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if CHROMIUM is None or DRIVER is None:
    pytest.skip(
        "the browser test needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; "
        "`make test` installs them when run as root): not found on this machine",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the test extra)")
pytest.importorskip("starlette", reason="the serve extra is not installed")

import httpx  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

from tests.test_serve import start_server  # noqa: E402

ASSIGNMENT = """\
title: "October: a proclamation on the wall"
role: worker
start: worker.oct.queue
intro: It is the morning of 25 October 1917. Read the proclamation, choose, and answer two questions at the end.
questions:
  - ask: Who signed the proclamation on the wall, and what did it claim?
  - ask: Was your worker's ending typical of Vyborg workers in October? Give one reason.
allow_undo: false
"""


def browser(profile: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=900,1400",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))


def submit(driver: webdriver.Chrome, button) -> None:
    """Click a button that sends the form, and wait until the next page has replaced this one.

    The old page is marked with a window property that a new document does not have. (Waiting for the old
    <html> element to go stale raced with the navigation: Chromium sometimes answered with an inspector error
    instead of "stale element", so the wait ignores driver errors while the page is changing.)
    """
    driver.execute_script("window.__dualpower_old_page = true")
    button.click()
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return window.__dualpower_old_page === undefined && document.readyState === 'complete'"
        )
    )


def wait_for(check, seconds: float = 15.0) -> bool:
    """Until `check()` is true (at most `seconds`). A driver error while the page's script swaps an element
    (the dashboard's table every 5 seconds) counts as not yet: the next look finds the new element."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if check():
                return True
        except WebDriverException:
            pass
        time.sleep(0.2)
    return False


def test_a_browser_plays_to_an_ending_and_the_dashboard_fills_in(tmp_path):
    asg = tmp_path / "october.yaml"
    asg.write_text(ASSIGNMENT, encoding="utf-8")
    proc, base, code, token = start_server(tmp_path / "class.db", asg, story=SHIPPED)
    driver = None
    try:
        # Two classmates already under way, so the dashboard has a class to show.
        for name, lines in (("Olga Ivanova", ["1"]), ("Pyotr Sergeyev", [])):
            with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as c:
                c.post("/join", data={"name": name, "code": code})
                for line in lines:
                    c.post("/play", data={"line": line})
        driver = browser(tmp_path / "profile")
        driver.get(base + "/")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        driver.find_element(By.ID, "name").send_keys("Anna Petrova")
        driver.find_element(By.ID, "code").send_keys(code.lower())
        submit(driver, driver.find_element(By.CSS_SELECTOR, "form.join button"))
        assert wait_for(lambda: driver.find_elements(By.ID, "scene-title"))
        assert driver.find_element(By.ID, "scene-title").text == "A Proclamation on the Wall"
        assert "25 October 1917" in driver.find_element(By.CSS_SELECTOR, ".when").text
        assert "you play Worker" in driver.find_element(By.CSS_SELECTOR, ".intro").text
        submit(
            driver, driver.find_element(By.CSS_SELECTOR, "button[value=look]")
        )  # the scene without the intro
        assert not driver.find_elements(By.CSS_SELECTOR, ".intro")
        terms = driver.find_elements(By.CSS_SELECTOR, "abbr.term")
        assert terms and all(t.get_attribute("title") for t in terms)
        terms[0].click()  # focusable: its explanation shows on focus
        shots = Path(os.environ["DUALPOWER_SHOT_DIR"]) if os.environ.get("DUALPOWER_SHOT_DIR") else tmp_path
        driver.save_screenshot(str(tmp_path / "web-scene.png"))

        for _ in range(30):  # click the first open choice until the story ends
            if driver.find_elements(By.ID, "ending-title"):
                break
            submit(driver, driver.find_element(By.CSS_SELECTOR, "ol.choices button:not([disabled])"))
        ending = driver.find_element(By.ID, "ending-title").text
        assert ending.startswith("Ending: ")
        for answer in (
            "The Military Revolutionary Committee of the Petrograd Soviet.",
            "Partly: many stayed.",
        ):
            box = driver.find_element(By.ID, "answer")
            box.send_keys(answer)
            submit(driver, driver.find_element(By.CSS_SELECTOR, "button.primary"))
        assert "The assignment is complete" in driver.find_element(By.ID, "done-title").text
        cookie = driver.get_cookie("dualpower_student")
        assert cookie and cookie["httpOnly"]
        report = httpx.get(base + "/report", cookies={cookie["name"]: cookie["value"]}, timeout=10)
        assert "Anna Petrova" in report.text and ending.removeprefix("Ending: ") in report.text

        driver.set_window_size(1280, 1000)
        driver.get(f"{base}/teacher?token={token}")
        table = driver.find_element(By.CSS_SELECTOR, "table.students")
        assert (
            "Anna Petrova" in table.text
            and "Partly: many stayed." in table.text
            and "3 students" in table.text
        )
        # A latecomer appears without a reload (the page fetches its table every 5 seconds).
        with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as c:
            c.post("/join", data={"name": "Vera Latecomer", "code": code})
        assert wait_for(lambda: "Vera Latecomer" in driver.find_element(By.ID, "live").text, 30)
        driver.save_screenshot(str(tmp_path / "web-dashboard.png"))
        for name in ("web-scene.png", "web-dashboard.png"):
            data = (tmp_path / name).read_bytes()
            assert data.startswith(b"\x89PNG") and len(data) > 10_000
            if os.environ.get("DUALPOWER_SCREENSHOTS") or shots != tmp_path:
                target = shots if shots != tmp_path else ROOT / "docs"
                shutil.copy(tmp_path / name, target / name)
    finally:
        if driver is not None:
            driver.quit()
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
