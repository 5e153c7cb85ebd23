"""The chat page in signed-in mode in a real browser (Debian's Chromium, Playwright):
`dealcoach serve` with ``DEALCOACH_WEB_JWT_SECRET`` (HS256) and an audience, the token
handed over by the host page (``window.DEALCOACH_TOKEN``) or by a reverse proxy's cookie."""

import time
from pathlib import Path

import jwt
import pytest

from channels.web import EXPIRED, SIGN_IN_AGAIN
from dealcoach.storage import open_store, owner_id
from tests.e2e import panel_page
from tests.e2e.conftest import serving
from tests.e2e.test_web_chat import CHROMIUM, chromium, say

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)"
)

SECRET = "e2e-company-sign-in-secret-0123456789"
AUDIENCE = "dealcoach-web"


def token(sub, lifetime=3600, secret=SECRET):
    claims = {"sub": sub, "exp": int(time.time()) + lifetime, "aud": AUDIENCE}
    return jwt.encode(claims, secret, algorithm="HS256")


@pytest.fixture(scope="module")
def signed_in_served(tmp_path_factory):
    yield from serving(
        tmp_path_factory.mktemp("serve-signed-in"),
        DEALCOACH_WEB_JWT_SECRET=SECRET,
        DEALCOACH_WEB_JWT_AUDIENCE=AUDIENCE,
    )


@pytest.fixture
def browser(signed_in_served):
    with chromium() as launched:
        yield launched


def open_page(browser, url, host_token=None, cookie_token=None, context=None):
    context = context or browser.new_context()
    if host_token is not None:
        # What the embedding intranet page does before the chat's script runs.
        context.add_init_script(f"window.DEALCOACH_TOKEN = {host_token!r};")
    if cookie_token is not None:
        context.add_cookies([{"name": "dealcoach_token", "value": cookie_token, "url": url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    return page


def notice_said(page, text):
    page.wait_for_function(
        "t => [...document.querySelectorAll('#log .notice .bubble')]"
        ".some(b => b.textContent === t)",
        arg=text,
    )


def bot_said(page, text):
    """Waits for a bot message containing ``text``; on a timeout, says what the page shows."""
    try:
        page.wait_for_function(
            "t => [...document.querySelectorAll('#log .bot .bubble')]"
            ".some(b => b.textContent.includes(t))",
            arg=text,
        )
    except Exception as error:
        shown = page.evaluate("() => document.querySelector('#log').innerText")
        raise AssertionError(f"no bot message with {text!r}; the page shows:\n{shown}") from error


def deals_of(served, sub):
    store = open_store(served["work"] / "deals.db")
    try:
        return [d.company for d in store.deals.list_for(owner_id("web", sub))]
    finally:
        store.close()


def test_make_serve_says_it_runs_in_signed_in_mode(signed_in_served):
    log = (signed_in_served["work"] / "serve.log").read_text()
    assert "Web chat: signed-in mode (HS256 tokens, audience dealcoach-web)" in log


def test_the_page_without_a_valid_token_says_sign_in_again(signed_in_served, browser):
    url = signed_in_served["page"]
    for given in ({}, {"host_token": token("erin", secret="forged-" + SECRET)},
                  {"cookie_token": token("erin", lifetime=-60)}):  # fmt: skip
        page = open_page(browser, url, **given)
        page.wait_for_selector('#status[data-state="signed-out"]')
        notice_said(page, SIGN_IN_AGAIN)
        assert page.locator("#log .bot").count() == 0
        page.context.close()
    assert deals_of(signed_in_served, "erin") == []


def test_signed_in_pages_are_their_tokens_salesperson(signed_in_served, browser):
    url = signed_in_served["page"]
    # The intranet page hands the token over.
    desk = open_page(browser, url, host_token=token("frank"))
    desk.wait_for_selector('#status[data-state="connected"]')
    say(desk, "new deal: Webco")
    bot_said(desk, "Which sector is Webco in")
    assert deals_of(signed_in_served, "frank") == ["Webco"]

    # A second device, behind a reverse proxy that sets the cookie: the same deals.
    phone = open_page(browser, url, cookie_token=token("frank"))
    phone.wait_for_selector('#status[data-state="connected"]')
    say(phone, "my deals")
    bot_said(phone, "Webco")

    # Someone else signs in on the first browser: Frank's transcript is not shown to them
    # and Frank's deal does not exist for them.
    desk.context.add_init_script(f"window.DEALCOACH_TOKEN = {token('grace')!r};")
    desk.reload()
    desk.wait_for_selector('#status[data-state="connected"]')
    assert desk.locator("#log li").count() == 0
    say(desk, "brief me on Webco")
    bot_said(desk, "")
    assert "Webco" in deals_of(signed_in_served, "frank")
    assert deals_of(signed_in_served, "grace") == []


def test_an_expiring_token_ends_the_conversation_on_the_page(signed_in_served, browser):
    page = open_page(browser, signed_in_served["page"], host_token=token("heidi", lifetime=15))
    page.wait_for_selector('#status[data-state="connected"]')
    notice_said(page, EXPIRED)
    assert page.locator('#status[data-state="signed-out"]').count() == 1
    assert page.locator("#message").is_disabled()


def test_the_deal_panel_is_only_ever_the_tokens_salespersons(signed_in_served, browser):
    url = signed_in_served["page"]

    def signed_in(sub):
        context = browser.new_context()
        context.add_init_script(f"window.DEALCOACH_TOKEN = {token(sub)!r};")
        return panel_page.open_page(browser, url, context=context)

    ivan = signed_in("ivan")
    say(ivan, "new deal: Ivanco")
    panel_page.panel_shows(ivan, "Ivanco")
    say(ivan, "Petra Lang is the CFO")
    panel_page.in_lane(ivan, "decider", "Petra Lang")

    # Judy, signed in on another browser, asks for Ivan's deal and starts her own.
    judy = signed_in("judy")
    say(judy, "brief me on Ivanco")
    bot_said(judy, "Ivanco")
    say(judy, "new deal: Judyco")
    panel_page.panel_shows(judy, "Judyco")
    assert panel_page.deals_listed(judy) == ["Judyco"]
    drawn = judy.evaluate("() => window.panelsDrawn")
    assert drawn and not any("Ivanco" in p or "Petra" in p for p in drawn)
    assert not any("Judyco" in p for p in ivan.evaluate("() => window.panelsDrawn"))

    # Ivan's second device gets his panel: the same salesperson, the same deals.
    phone = signed_in("ivan")
    say(phone, "brief me on Ivanco")
    panel_page.panel_shows(phone, "Ivanco")
    panel_page.in_lane(phone, "decider", "Petra Lang")
    assert panel_page.deals_listed(phone) == ["Ivanco"]
    for page in (ivan, judy, phone):
        page.context.close()
