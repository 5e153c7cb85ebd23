"""A Dutch review in the chat page, in a real browser (Debian's Chromium, Playwright), on
`dealcoach serve` in local mode: once the salesperson asks for Dutch, the bot, the deal
panel (labels and the names of stages, roles and stances) and the page's own words are
Dutch, and stay so after a reload; the deal is stored in canonical values."""

from pathlib import Path

import pytest

from dealcoach.knowledge_base.loader import load_knowledge
from dealcoach.storage import open_store, owner_id
from tests.e2e.panel_page import fact, in_lane, open_page, panel_shows, wait_for
from tests.e2e.test_deal_panel_browser import browser  # noqa: F401 (a fixture)
from tests.e2e.test_web_chat import CHROMIUM, say
from tests.e2e.test_web_sign_in_browser import bot_said

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)"
)


def lane_label(page, role):
    return page.evaluate(
        "r => document.querySelector(`#deal .lane[data-role='${r}'] h4`).textContent", role
    )


def test_a_dutch_review_in_the_page(served, browser):  # noqa: F811 (the fixture)
    kb = load_knowledge()
    nl = kb.in_language("nl")
    words, page_words = nl.web.panel, nl.phrases
    page = open_page(browser, served["page"])
    assert page.evaluate("() => document.documentElement.lang") == "en"

    say(page, "Nederlands graag")
    bot_said(page, "Vanaf nu antwoord ik in het Nederlands.")
    say(page, "let's review the Nordstahl deal")
    bot_said(page, "Nieuwe deal: Nordstahl")
    panel_shows(page, "Nordstahl")
    assert fact(page, "sector") == {"value": words["unknown"], "changed": False}
    wait_for(page, "t => document.querySelector('#deal .facts h3').textContent === t",
             words["facts"])  # fmt: skip
    empty = page.locator("#deal .lane[data-role='decider'] .empty-seat").text_content()
    assert empty == words["empty_seat"]
    # The page's own words follow the salesperson's language.
    assert page.evaluate("() => document.documentElement.lang") == "nl"
    assert page.locator("#composer button[type=submit]").text_content() == page_words["page_send"]
    assert page.locator("#message").get_attribute("placeholder") == page_words["page_placeholder"]

    say(page, "they're still writing the spec and it's a strategic purchase for them")
    wait_for(page, "() => document.querySelector(\"#deal .fact[data-fact='buying_stage']\")"
             ".classList.contains('changed')")  # fmt: skip
    assert fact(page, "buying_stage")["value"] == nl.label("buying_stage", "specification")
    current = page.locator("#deal .stage.current .stage-name").text_content()
    assert current == nl.label("buying_stage", "specification")
    say(page, "the CFO makes the final call, it's a new purchase for a 2000-person steel company")
    wait_for(page, "() => document.querySelector(\"#deal .fact[data-fact='sector']\")"
             ".classList.contains('changed')")  # fmt: skip
    assert fact(page, "company_size")["value"] == f"2000 {words['employees']}"
    assert fact(page, "sector")["value"] == nl.label("sector", "steel_metals")
    assert lane_label(page, "decider") == nl.label("role", "decider")
    say(page, "Petra Lang is the CFO")
    in_lane(page, "decider", "Petra Lang")
    say(page, '/give_facts{"stance": "champion", "person": "Petra Lang"}')
    wait_for(page, "() => document.querySelector(\"#deal .lane[data-role='decider'] .card\")"
             ".classList.contains('stance-champion')")  # fmt: skip
    petra = page.locator("#deal .lane[data-role='decider'] .card")
    assert petra.locator(".stance").text_content() == nl.label("stance", "champion")

    # A reload shows the same conversation, and the page stays Dutch.
    page.reload()
    page.wait_for_selector('#status[data-state="connected"]')
    assert page.evaluate("() => document.documentElement.lang") == "nl"
    assert page.locator("#status").text_content() == page_words["page_connected"]
    panel_shows(page, "Nordstahl")
    assert lane_label(page, "decider") == nl.label("role", "decider")
    session = page.evaluate("() => localStorage.getItem('dealcoach.session')")
    page.context.close()

    # Stored in canonical values, whatever the language of the conversation.
    store = open_store(served["work"] / "deals.db")
    try:
        (deal,) = store.deals.list_for(owner_id("socketio", session))
    finally:
        store.close()
    assert (deal.sector, deal.buying_stage, deal.employees) == (
        "steel_metals",
        "specification",
        2000,
    )
    assert deal.holders("decider")[0].stance == "champion"
