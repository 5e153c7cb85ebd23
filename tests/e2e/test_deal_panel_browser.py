"""The deal panel beside the chat, in a real browser (Debian's Chromium, Playwright), on
`dealcoach serve` in local mode: a review typed into the page fills the panel message by
message, a correction moves a card, switching deals switches the panel, "my deals" opens
a deal, the print view is the deal with its map on one page, a second browser sees none
of it; checked with axe-core for accessibility, with no request leaving loopback.

Screenshots at phone and desktop width go to results/screenshots/ (git-ignored);
DEALCOACH_PANEL_SCREENSHOT=docs/deal-panel.png refreshes the README's picture."""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.panel_page import (
    DESKTOP,
    PHONE,
    deals_listed,
    fact,
    in_lane,
    lane_names,
    open_page,
    panel_shows,
    wait_for,
)
from tests.e2e.test_web_chat import CHROMIUM, chromium, say
from tests.e2e.test_web_sign_in_browser import bot_said

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)"
)

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "results" / "screenshots"


@pytest.fixture(scope="module")
def browser(served):
    with chromium() as launched:
        yield launched


def axe_violations(page):
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return found


def test_a_review_in_the_page_takes_shape_in_the_panel(served, browser):
    page = open_page(browser, served["page"])
    assert page.locator("#panel").is_hidden()

    say(page, "let's review the Nordstahl deal")
    panel_shows(page, "Nordstahl")
    # Nothing known yet: every fact unknown, every key seat empty, flagged.
    assert fact(page, "sector") == {"value": "unknown", "changed": False}
    assert page.locator("#deal .lane.empty .empty-seat").count() >= 3
    assert page.locator("#deal .lane[data-role='decider'] .empty-seat").count() == 1
    assert page.locator("#deal .flag[data-flag='nobody_known']").count() == 1
    assert deals_listed(page) == ["Nordstahl"]

    say(page, "they're still writing the spec and it's a strategic purchase for them")
    wait_for(page, "() => document.querySelector(\"#deal .fact[data-fact='buying_stage']\")"
             ".classList.contains('changed')")  # fmt: skip
    assert fact(page, "buying_stage")["value"] == "specification"
    assert page.locator("#deal .stage.current").get_attribute("data-stage") == "specification"
    assert page.locator("#deal .stage[aria-current='step']").count() == 1
    assert not fact(page, "sector")["changed"]

    say(page, "the CFO makes the final call, it's a new purchase for a 2000-person steel company")
    wait_for(page, "() => document.querySelector(\"#deal .fact[data-fact='sector']\")"
             ".classList.contains('changed')")  # fmt: skip
    assert fact(page, "company_size")["value"] == "2000 employees"
    assert fact(page, "purchase_situation") == {"value": "new task", "changed": True}
    # A card fills the decider's seat; the stage, unchanged by this message, is unmarked.
    assert page.locator("#deal .lane[data-role='decider'] .empty-seat").count() == 0
    assert page.locator("#deal .lane[data-role='decider'] .card").count() == 1
    assert not fact(page, "buying_stage")["changed"]

    say(page, "Petra Lang is the CFO")
    in_lane(page, "decider", "Petra Lang")
    say(page, "Jan writes the spec")
    in_lane(page, "prescriber", "Jan")
    jan = page.locator("#deal .lane[data-role='prescriber'] .card")
    assert "changed" in jan.get_attribute("class")
    assert jan.locator(".stance").text_content() == "stance unknown"

    say(page, "skip")
    bot_said(page, "the buyer: unknown")
    say(page, "the operators will use it every day")
    in_lane(page, "user", "operators")
    say(page, '/give_facts{"stance": "champion", "person": "Petra Lang"}')
    petra = page.locator("#deal .lane[data-role='decider'] .card")
    wait_for(page, "() => document.querySelector(\"#deal .lane[data-role='decider'] .card\")"
             ".classList.contains('stance-champion')")  # fmt: skip
    # Stance as colour and as a word.
    assert petra.locator(".stance").text_content() == "champion"
    say(page, "yes")
    wait_for(page, "() => document.querySelector(\"#deal .lane[data-role='decider'] .met\")"
             ".textContent === 'met'")  # fmt: skip
    say(page, "neutral i think")
    say(page, "haven't met him yet")
    bot_said(page, "review of Nordstahl done")
    # The panel after the last answer (it comes after the bot's words).
    wait_for(page, "() => document.querySelector(\"#deal .lane[data-role='prescriber'] .met\")"
             ".textContent === 'not met'")  # fmt: skip
    assert page.locator("#deal .actions .action").count() == 3
    assert page.locator("#deal .action .because").count() == 3
    assert "stance-neutral" in page.locator(
        "#deal .lane[data-role='prescriber'] .card"
    ).get_attribute("class")

    # Phone and desktop, as artefacts; the desktop one is the README's picture.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "deal-panel-desktop.png"), full_page=True)
    if os.environ.get("DEALCOACH_PANEL_SCREENSHOT"):
        shutil.copy(
            SCREENSHOTS / "deal-panel-desktop.png", os.environ["DEALCOACH_PANEL_SCREENSHOT"]
        )
    # Wide screen: the panel beside the chat.
    chat_box = page.locator("#chat").bounding_box()
    panel_box = page.locator("#panel").bounding_box()
    assert panel_box["x"] >= chat_box["x"] + chat_box["width"] - 1
    page.set_viewport_size(PHONE)
    # Phone: the panel under the chat, and nothing wider than the screen.
    chat_box = page.locator("#chat").bounding_box()
    panel_box = page.locator("#panel").bounding_box()
    assert panel_box["y"] >= chat_box["y"] + chat_box["height"] - 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "deal-panel-phone.png"), full_page=True)
    assert axe_violations(page) == []
    page.set_viewport_size(DESKTOP)
    assert axe_violations(page) == []

    # The printed brief: the deal and its map, without the chat, on one A4 page.
    page.emulate_media(media="print")
    assert page.locator("#chat").is_hidden() and page.locator("#deals").is_hidden()
    assert page.locator("#deal .lanes").is_visible()
    assert page.locator("#deal .lane[data-role='decider'] .card").is_visible()
    pdf = page.pdf(format="A4", print_background=True)  # (print media, as emulated)
    (SCREENSHOTS / "deal-brief.pdf").write_bytes(pdf)
    # A PDF's page objects are "/Type /Page" (the page tree is "/Type /Pages").
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1, "the brief is not one page"
    page.emulate_media(media="screen")

    # The button and the chat command both print.
    page.click("#deal .print-button")
    assert page.evaluate("() => window.printed") == 1
    say(page, "print the brief")
    bot_said(page, "Brief: Nordstahl")
    wait_for(page, "() => window.printed === 2")
    assert page.requests.outside() == []
    page.context.close()


def test_corrections_switching_and_my_deals_in_the_panel(served, browser):
    page = open_page(browser, served["page"])
    say(page, "new deal: Globex")
    panel_shows(page, "Globex")
    say(page, "Jan is the decider and it's a new purchase")
    in_lane(page, "decider", "Jan")

    # A correction moves the card to its new lane, marked.
    say(page, "no, Jan is the buyer, not the decider")
    in_lane(page, "buyer", "Jan")
    assert lane_names(page, "decider") == []
    assert page.locator("#deal .lane[data-role='decider'] .empty-seat").count() == 1
    assert "changed" in page.locator("#deal .lane[data-role='buyer'] .card").get_attribute("class")

    # Switching deals switches the panel.
    say(page, "new deal: Initech")
    panel_shows(page, "Initech")
    assert lane_names(page, "buyer") == []
    wait_for(page, "() => document.querySelectorAll('#deals .deal-line').length === 2")
    assert sorted(deals_listed(page)) == ["Globex", "Initech"]
    current = page.locator("#deals .deal-line[aria-current='true'] .company")
    assert current.text_content() == "Initech"

    # My deals: a click (here from the keyboard) opens that deal's review in the chat.
    globex = page.locator("#deals .deal-line", has_text="Globex")
    assert globex.get_attribute("aria-label") == "Open the review of Globex"
    globex.focus()
    page.keyboard.press("Enter")
    panel_shows(page, "Globex")
    bot_said(page, "Back to Globex")
    in_lane(page, "buyer", "Jan")

    # The same panel again after a reload, from this browser's own keeping.
    page.reload()
    page.wait_for_selector('#status[data-state="connected"]')
    panel_shows(page, "Globex")
    assert page.locator("#deal .lane[data-role='buyer'] .card .name").text_content() == "Jan"
    page.context.close()


def test_a_second_browser_sees_none_of_the_first_ones_deals(served, browser):
    first = open_page(browser, served["page"])
    say(first, "new deal: Secretco")
    say(first, "Petra Lang is the CFO")
    in_lane(first, "decider", "Petra Lang")

    second = open_page(browser, served["page"])  # a new context: another session
    assert second.locator("#panel").is_hidden()
    say(second, "brief me on Secretco")
    bot_said(second, "Secretco")
    say(second, "new deal: Otherco")
    panel_shows(second, "Otherco")
    assert deals_listed(second) == ["Otherco"]
    # Every panel the second page was given: no trace of the first one's deal.
    drawn = second.evaluate("() => window.panelsDrawn")
    assert drawn and all("Otherco" in p for p in drawn)
    assert not any("Secretco" in p or "Petra" in p for p in drawn)
    assert any("Secretco" in p for p in first.evaluate("() => window.panelsDrawn"))
    assert "Secretco" not in second.locator("#panel").inner_text()
    first.context.close()
    second.context.close()


def test_quiz_progress_as_a_chart(served, browser):
    page = open_page(browser, served["page"])
    say(page, "quiz me")
    for number in range(1, 6):
        bot_said(page, f"Question {number}/5")
        page.click("#log li:last-child .buttons button >> nth=0")
    bot_said(page, "Done: ")
    say(page, "how am I doing?")
    bot_said(page, "Scores, oldest first")
    wait_for(page, "() => document.querySelectorAll('#quiz .chart').length === 2")
    rows = page.locator("#quiz .chart").first.locator(".bar-row")
    assert rows.count() == 1 and rows.locator(".bar-value").text_content().endswith("/5")
    topics = page.locator("#quiz .chart").nth(1).locator(".bar-value").all_text_contents()
    assert sum(int(t.split("/")[1]) for t in topics) == 5
    assert axe_violations(page) == []
    page.context.close()
