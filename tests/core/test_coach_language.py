"""The coach in the salesperson's language: told from what they write, switched when
they ask, kept with them in the store; every Dutch path worded in Dutch, without a raw
placeholder; the deal itself the same whatever the language (real SQLite store)."""

from __future__ import annotations

import re
from typing import List

import pytest
import yaml

from dealcoach.coaching.brief import format_brief, make_brief
from dealcoach.knowledge_base.placeholders import RESPONSE_VALUES, fill_all
from dealcoach.serving.coach import Coach, Conversation, Reply
from dealcoach.settings import ROOT
from dealcoach.storage import LanguageSetting, open_store
from dealcoach.understanding.turns import Entity, Turn

ANNA, BOB = "rest:anna", "rest:bob"


@pytest.fixture
def store(tmp_path):
    opened = open_store(tmp_path / "deals.db")
    yield opened
    opened.close()


@pytest.fixture
def coach(kb, store):
    return Coach(kb, store)


def texts(reply: Reply) -> List[str]:
    return [m.text or m.response or "" for m in reply.messages]


def start(coach: Coach, owner: str, text: str, company: str = "Acme") -> Reply:
    return coach.start_review(
        owner, Turn("start_review", [Entity("company", company)], text), Conversation()
    )


def test_a_clearly_dutch_message_sets_dutch_and_a_clearly_english_one_english(coach, store):
    reply = start(coach, ANNA, "we gaan de deal bij Acme bekijken, die zit in de shortlist fase")
    assert reply.language == "nl" and reply.slots["language"] == "nl"
    assert store.sessions.language(ANNA) == LanguageSetting("nl", chosen=False)
    assert "In welke sector zit Acme, en wie zijn hun eigen klanten?" in texts(reply)
    # Not chosen, only told: the next clear message in English is answered in English.
    reply = coach.answer(
        ANNA, Turn("give_facts", [], "the client is a steel company"), Conversation()
    )
    assert reply.language == "en"
    # A message that tells nothing keeps the language as it is.
    reply = coach.answer(ANNA, Turn("give_facts", [], "Petra Lang, CFO"), Conversation())
    assert reply.language == "en"


def test_a_language_asked_for_is_kept_until_asked_again(coach, store):
    start(coach, ANNA, "let's review the Acme deal")
    reply = coach.switch_language(
        ANNA, Turn("switch_language", [], "kan het in het Nederlands?"), Conversation()
    )
    assert texts(reply) == ["Vanaf nu antwoord ik in het Nederlands."]
    assert store.sessions.language(ANNA) == LanguageSetting("nl", chosen=True)
    # English facts do not take the salesperson back to English: they asked for Dutch.
    turn = Turn(
        "give_facts",
        [Entity("sector", "steel_metals"), Entity("employees", 2000)],
        "the client is a steel company with 2000 people, they have never bought this before",
    )
    reply = coach.answer(ANNA, turn, Conversation())
    assert reply.language == "nl"
    assert texts(reply)[0] == "Genoteerd: sector: staal & metaal; 2000 medewerkers."
    reply = coach.switch_language(
        ANNA, Turn("switch_language", [], "English please"), Conversation()
    )
    assert texts(reply) == ["From now on I'll answer in English."]
    reply = coach.brief(ANNA, Turn("deal_brief", [], "wat weten we over Acme?"), Conversation())
    assert texts(reply)[0].startswith("Brief: Acme"), texts(reply)


def test_a_request_in_any_message_switches_and_the_language_is_each_salespersons_own(coach, store):
    # The NLU may take "in het Nederlands graag" for anything: the coach still hears it.
    reply = coach.answer(ANNA, Turn("out_of_scope", [], "in het Nederlands graag"), Conversation())
    assert texts(reply)[0] == "Vanaf nu antwoord ik in het Nederlands."
    start(coach, BOB, "let's review the Globex deal", company="Globex")
    assert store.sessions.language(ANNA).language == "nl"
    assert store.sessions.language(BOB).language == "en"


def test_a_deal_reviewed_in_dutch_briefs_the_same_in_english(kb, coach, store, tmp_path):
    coach.switch_language(ANNA, Turn("switch_language", [], "spreek Nederlands"), Conversation())
    start(coach, ANNA, "nieuwe deal: Acme")
    coach.answer(
        ANNA,
        Turn(
            "give_facts",
            [
                Entity("sector", "steel_metals"),
                Entity("purchase_situation", "new_task"),
                Entity("buying_stage", "specification"),
            ],
            "staalbedrijf, nieuwe aankoop, ze schrijven het lastenboek",
        ),
        Conversation(),
    )
    dutch_deal = store.active_deal(ANNA)
    # The same facts given by an English salesperson make the same stored deal.
    english = open_store(tmp_path / "english.db")
    Coach(kb, english).start_review(
        ANNA, Turn("start_review", [Entity("company", "Acme")], "new deal: Acme"), Conversation()
    )
    Coach(kb, english).answer(
        ANNA,
        Turn(
            "give_facts",
            [
                Entity("sector", "steel_metals"),
                Entity("purchase_situation", "new_task"),
                Entity("buying_stage", "specification"),
            ],
            "steel company, new purchase, they are writing the specification",
        ),
        Conversation(),
    )
    english_deal = english.active_deal(ANNA)
    english.close()
    assert (dutch_deal.sector, dutch_deal.purchase_situation, dutch_deal.buying_stage) == (
        "steel_metals",
        "new_task",
        "specification",
    )
    assert format_brief(make_brief(kb, dutch_deal)) == format_brief(make_brief(kb, english_deal))
    dutch_brief = format_brief(make_brief(kb.in_language("nl"), dutch_deal))
    assert dutch_brief.startswith("Briefing: Acme") and "staal & metaal" in dutch_brief


# --- every Dutch path in Dutch, no raw placeholder -------------------------------------

_RAW = re.compile(r"[{}]")
#: English words of the coach's own that must not show in a Dutch reply.
_ENGLISH = re.compile(
    r"\b(Noted|Why: because|Which sector|In which sector|What I'd do|Your deals|Question \d|Brief:|"
    r"Right:|Not quite|For you|Example:|Knowing|Skip|Don't know)\b"
)


def _dutch_paths(coach: Coach) -> List[str]:
    """Every kind of reply the coach gives, for a Dutch salesperson."""
    said: List[str] = []

    def run(reply: Reply) -> Reply:
        assert reply.language == "nl"
        for message in reply.messages:
            said.append(message.text or "")
            said.extend(button.title for button in message.buttons)
        return reply

    ask = Conversation()
    run(coach.switch_language(ANNA, Turn("switch_language", [], "Nederlands graag"), ask))
    run(coach.list_deals(ANNA, Turn("list_deals", [], "mijn deals"), ask))
    run(start(coach, ANNA, "nieuwe deal: Acme"))
    run(coach.answer(ANNA, Turn("skip", [], "overslaan"), ask))
    for _ in range(3):  # the same question three times: deferred, with a Skip button
        run(coach.answer(ANNA, Turn("give_facts", [], "hmm"), ask))
    run(
        coach.answer(
            ANNA,
            Turn(
                "give_facts",
                [
                    Entity("sector", "steel_metals"),
                    Entity("employees", 2000),
                    Entity("purchase_situation", "new_task"),
                    Entity("buying_stage", "specification"),
                    Entity("perceived_risk", "high"),
                    Entity("person", "Petra Lang"),
                    Entity("job_title", "cfo"),
                ],
                "staal, 2000 man, nieuwe aankoop, specificatiefase, strategisch, Petra Lang is CFO",
            ),
            ask,
        )
    )
    run(coach.advise(ANNA, Turn("ask_advice", [], "wat moet ik nu doen?"), ask))
    run(coach.brief(ANNA, Turn("deal_brief", [], "briefing over Acme"), ask))
    run(coach.list_deals(ANNA, Turn("list_deals", [], "mijn deals"), ask))
    update = Turn(
        "update_deal",
        [Entity("company", "Acme"), Entity("buying_stage", "negotiation")],
        "update Acme: ze onderhandelen nu",
    )
    run(coach.update_deal(ANNA, update, ask))
    for how in ("explain", "example", "apply"):
        concept = Turn(
            "explain_concept", [Entity("concept", "role_decider")], "wat is een beslisser?"
        )
        run(coach.about_concept(ANNA, concept, ask, how))
    run(coach.start_quiz(ANNA, Turn("quiz", [], "quiz me over het inkoopcentrum"), ask))
    for letter in "abcde":
        run(coach.answer(ANNA, Turn("quiz_answer", [], letter), ask))
    run(coach.quiz_progress(ANNA, Turn("quiz_progress", [], "hoe doe ik het?"), ask))
    rename = Turn(
        "rename_deal",
        [Entity("company", "Acme"), Entity("company", "Acme Staal")],
        "hernoem Acme naar Acme Staal",
    )
    run(coach.rename_deal(ANNA, rename, ask))
    delete = Turn("delete_deal", [Entity("company", "Acme Staal")], "verwijder Acme Staal")
    reply = run(coach.delete_deal(ANNA, delete, ask))
    confirm = Conversation(
        last_response="utter_confirm_delete", pending_delete=reply.slots["pending_delete"]
    )
    run(coach.answer(ANNA, Turn("deny", [], "nee"), confirm))
    return [text for text in said if text]


def test_every_dutch_reply_of_the_coach_is_dutch_and_fully_filled_in(coach):
    said = _dutch_paths(coach)
    assert len(said) > 40
    for text in said:
        assert not _RAW.search(text), text
        assert not _ENGLISH.search(text), text
    joined = "\n".join(said)
    for dutch in ("Genoteerd:", "Briefing: Acme", "Wat ik nu zou doen", "Vraag 1/5", "Je deals"):
        assert dutch in joined


def test_every_domain_response_has_a_dutch_variation_that_fills_in():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variations in domain["responses"].items():
        dutch = [
            v
            for v in variations
            if {"type": "slot", "name": "language", "value": "nl"} in (v.get("condition") or [])
        ]
        english = [v for v in variations if not v.get("condition")]
        assert len(dutch) == 1 and len(english) == 1, name
        values = {value: f"<{value}>" for value in RESPONSE_VALUES.get(name, ())}
        for variation in (dutch[0], english[0]):
            filled = fill_all(variation["text"], values)
            assert not _RAW.search(filled), (name, filled)
        assert dutch[0]["text"] != english[0]["text"], name


def test_every_phrase_of_the_coach_fills_in_in_every_language(kb):
    for language in ("en", "nl"):
        view = kb.in_language(language)
        for name, text in view.phrases.items():
            values = {p: "x" for p in re.findall(r"\{(\w+)\}", text)}
            assert not _RAW.search(view.phrase(name, **values)), (language, name)


def test_slack_layouts_speak_the_language_of_the_advice(kb):
    from channels.slack_blocks import advice_message, brief_message
    from dealcoach.coaching.advice import advise
    from dealcoach.deals.deal import Deal

    deal = Deal(owner=ANNA, company="Acme", sector="steel_metals", perceived_risk="high")
    dutch = kb.in_language("nl")
    for message in (
        brief_message(make_brief(dutch, deal)),
        advice_message(advise(dutch, deal), "Acme"),
    ):
        shown = list(_strings(message))
        assert shown and not any(_RAW.search(text) for text in shown), shown
        layout = "\n".join(shown)
        assert "_Waarom:_" in layout or "Briefing: Acme" in layout, layout
        assert "_Why:_" not in layout and "Buying centre" not in layout
    english = str(brief_message(make_brief(kb, deal))["blocks"])
    assert "Brief: Acme" in english and "*Buying centre*" in english


def _strings(value):
    """Every string a Slack layout shows (texts, fields, button titles)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("type", "value"):  # (a button's value is its payload)
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
