"""`make serve`'s chat page in a real browser (Debian's Chromium, driven by Playwright)."""

import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)"
)


@contextmanager
def chromium():
    """Debian's Chromium, headless, with the background services that would reach for
    the network (refused on these machines) switched off."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )  # fmt: skip
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(served):
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(60_000)
        yield page


def bot_said(page, text):
    page.wait_for_function(
        "t => [...document.querySelectorAll('#log .bot .bubble')]"
        ".some(b => b.textContent.includes(t))",
        arg=text,
    )


def say(page, text):
    page.fill("#message", text)
    page.press("#message", "Enter")


def test_chat_buttons_reload_and_escaping(served, browser_page, tmp_path):
    page = browser_page
    page.goto(served["page"])
    page.wait_for_selector('#status[data-state="connected"]')
    say(page, "hi")
    bot_said(page, "I'm dealcoach")
    say(page, "new deal: Webco")
    bot_said(page, "Which sector is Webco in")
    page.click("#log .bot .buttons button:has-text('Robotics')")
    bot_said(page, "Noted: sector: robotics")
    # What users type is shown as text, never run as HTML.
    say(page, "<b>bold</b><script>window.pwned = 1</script>")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#log .user .bubble')]"
        ".some(b => b.textContent.includes('<b>bold</b>'))"
    )
    assert page.locator("#log b").count() == 0
    assert page.evaluate("() => window.pwned") is None
    page.wait_for_function("() => document.querySelector('#log li:last-child.bot')")
    time.sleep(1)  # let any further bot message of this turn arrive before counting
    # DEALCOACH_SCREENSHOT=docs/chat.png refreshes the README's picture.
    page.set_viewport_size({"width": 900, "height": 1100})
    page.screenshot(path=os.environ.get("DEALCOACH_SCREENSHOT") or str(tmp_path / "chat.png"))
    shown_before = page.locator("#log li").count()
    # A reload shows the same conversation, and it goes on where it was.
    page.reload()
    page.wait_for_selector('#status[data-state="connected"]')
    assert page.locator("#log li").count() == shown_before
    bot_said(page, "Noted: sector: robotics")
    say(page, "about 300 people")
    bot_said(page, "300 employees")
