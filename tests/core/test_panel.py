"""The deal panel as data: what the web page draws beside the chat (facts, stage, the
buying-centre map, empty seats, flags, actions, my deals), built in the core from the
deal as stored, with what each message changed marked, and only ever the owner's."""

from __future__ import annotations

import json

import pytest

from dealcoach.coaching.panel import changed_keys, deal_list, deal_panel, panel_to_wire
from dealcoach.deals.deal import Change, Deal, Stakeholder, apply_change
from dealcoach.knowledge_base.loader import KnowledgeError, load_web_texts
from dealcoach.serving.coach import Coach, Conversation
from dealcoach.storage import open_store
from dealcoach.understanding.turns import Entity, Turn

ANNA, BOB = "socketio:anna", "socketio:bob"


def lane(panel, role):
    return next(lane for lane in panel.lanes if lane.role == role)


def names(panel, role):
    return [card.name for card in lane(panel, role).cards]


def test_an_empty_deal_shows_unknown_facts_and_every_key_seat_empty(kb):
    panel = deal_panel(kb, Deal(owner=ANNA, company="Webco", id=7))
    assert panel.company == "Webco" and panel.deal_id == 7
    assert [f.value for f in panel.facts] == [kb.web.panel["unknown"]] * len(panel.facts)
    assert not any(f.known or f.changed for f in panel.facts)
    assert set(panel.empty_seats) == set(kb.asked_roles()) and panel.empty_seats
    assert not any(stage.reached for stage in panel.stages)
    assert [s.key for s in panel.stages] == kb.values("buying_stage")
    # "Nobody in the buying centre is known yet" is the first flag.
    assert panel.flags[0].id == "nobody_known"


def test_facts_stage_cards_and_seats_of_a_reviewed_deal(kb):
    deal = Deal(
        owner=ANNA,
        company="Webco",
        id=3,
        sector="steel_metals",
        employees=2000,
        company_size="large",
        buying_stage="negotiation",
        stakeholders=[
            Stakeholder("Petra Novak", title="CFO", roles=["decider"], stance="champion", met=True),
            Stakeholder("Jan", roles=["user", "influencer"], stance="opponent", met=False),
            Stakeholder("Eleni"),
        ],
    )
    panel = deal_panel(kb, deal, changed=["buying_stage", "person:jan"])
    facts = {f.key: f for f in panel.facts}
    assert facts["sector"].value == kb.label("sector", "steel_metals") and facts["sector"].known
    assert facts["company_size"].value == "2000 employees"
    assert facts["buying_stage"].changed and not facts["sector"].changed
    current = [s.key for s in panel.stages if s.current]
    assert current == ["negotiation"]
    reached = [s.key for s in panel.stages if s.reached]
    assert (
        reached == kb.values("buying_stage")[: kb.values("buying_stage").index("negotiation") + 1]
    )

    assert names(panel, "decider") == ["Petra Novak"]
    petra = lane(panel, "decider").cards[0]
    assert (petra.title, petra.stance, petra.met) == ("CFO", "champion", "met")
    assert petra.stance_label == kb.label("stance", "champion")  # a word, not only a colour
    assert not petra.changed
    # One person in two roles is a card in each lane; marked changed in both.
    jan_cards = [c for ln in panel.lanes for c in ln.cards if c.name == "Jan"]
    assert len(jan_cards) == 2 and all(c.changed and c.met == "not_met" for c in jan_cards)
    # Someone with no role yet is still on the map, in a lane of their own.
    assert names(panel, "no_role") == ["Eleni"]
    eleni = lane(panel, "no_role").cards[0]
    assert (eleni.stance, eleni.stance_label) == ("unknown", kb.web.panel["stance_unknown"])
    assert eleni.met_label == kb.web.panel["met_unknown"]
    assert "decider" not in panel.empty_seats and "user" not in panel.empty_seats
    assert 1 <= len(panel.actions) <= 3 and all(a.because for a in panel.actions)


def test_a_correction_moves_a_card_to_its_new_lane(kb):
    deal = Deal(owner=ANNA, company="Webco", stakeholders=[Stakeholder("Petra", roles=["buyer"])])
    assert names(deal_panel(kb, deal), "buyer") == ["Petra"]
    correction = Change("person", "Petra", data={"roles": ["decider"]})
    apply_change(deal, correction)
    panel = deal_panel(kb, deal, changed_keys([correction]))
    assert names(panel, "decider") == ["Petra"] and lane(panel, "decider").cards[0].changed
    buyers = [c.name for ln in panel.lanes if ln.role == "buyer" for c in ln.cards]
    assert buyers == []


def test_a_title_only_role_is_marked_assumed(kb):
    petra = Stakeholder("Petra", title="CFO", roles=["decider"], assumed=["decider"])
    panel = deal_panel(kb, Deal(owner=ANNA, company="Webco", stakeholders=[petra]))
    assert lane(panel, "decider").cards[0].assumed


def test_changed_keys_name_facts_and_people():
    changes = [
        Change("fact", "employees", 300),
        Change("fact", "sector", "retail"),
        Change("person", "Jan Smit", data={"stance": "champion"}),
        Change("person", "the CFO", data={"rename": "Petra"}),
        Change("asking", value="sector"),
    ]
    assert changed_keys(changes) == ["company_size", "sector", "person:jan smit", "person:petra"]


def test_my_deals_list_stage_risk_urgent_flag_newest_first(kb):
    older = Deal(owner=ANNA, company="Oldco", id=1, updated_at="2026-01-01 10:00:00")
    newer = Deal(
        owner=ANNA,
        company="Newco",
        id=2,
        buying_stage="negotiation",
        perceived_risk="high",
        updated_at="2026-02-01 10:00:00",
    )
    lines = deal_list(kb, [older, newer])
    assert [line.company for line in lines] == ["Newco", "Oldco"]
    assert lines[0].updated_at == "2026-02-01 10:00"  # to the minute
    assert lines[0].stage == kb.label("buying_stage", "negotiation")
    assert lines[0].risk == kb.label("perceived_risk", "high")
    assert lines[1].stage == kb.web.panel["stage_unknown"]
    assert lines[1].urgent_flag == kb.flags["nobody_known"].flag


def test_the_wire_form_is_json_with_empty_seats(kb):
    from dealcoach.coaching.panel import panel_state

    state = panel_state(kb, Deal(owner=ANNA, company="Webco", id=1), [])
    wire = json.loads(json.dumps(panel_to_wire(state)))
    assert wire["panel"]["company"] == "Webco"
    assert wire["panel"]["empty_seats"] and all(
        ln["empty_seat"]
        for ln in wire["panel"]["lanes"]
        if ln["role"] in wire["panel"]["empty_seats"]
    )
    assert wire["labels"]["map"] == kb.web.panel["map"]


def test_web_texts_come_from_the_knowledge_base_and_are_checked(kb, tmp_path):
    assert kb.web.sign_in_again and kb.web.sign_in_expired
    assert "print" in kb.web.print_words
    # Dutch print words are understood in an English conversation too.
    assert "afdrukken" in kb.web.print_words
    dutch = kb.in_language("nl").web
    assert dutch.sign_in_again != kb.web.sign_in_again and dutch.sign_in_again
    assert set(dutch.panel) == set(kb.web.panel)
    assert dutch.panel["map"] != kb.web.panel["map"]
    words = (
        "print_words: {en: [print], nl: [printen]}\nbrief_words: {en: [brief], nl: [briefing]}\n"
    )
    (tmp_path / "web_page.yml").write_text(
        'sign_in: {again: {en: "a", nl: "b"}, expired: {en: "c", nl: "d"}}\n'
        'panel: {facts: {en: "Facts", nl: "Feiten"}}\n' + words
    )
    with pytest.raises(KnowledgeError, match="labels missing"):
        load_web_texts(tmp_path)
    # A label without its Dutch is refused, naming the field.
    (tmp_path / "web_page.yml").write_text(
        'sign_in: {again: {en: "a", nl: "b"}, expired: {en: "c", nl: "d"}}\n'
        'panel: {facts: "Facts"}\n' + words
    )
    with pytest.raises(KnowledgeError, match="panel.facts"):
        load_web_texts(tmp_path)


# --- through the coach: the panel after each message -------------------------------------


@pytest.fixture
def coach(kb, tmp_path):
    store = open_store(tmp_path / "deals.db")
    yield Coach(kb, store)
    store.close()


def start(coach, owner, company):
    turn = Turn("start_review", [Entity("company", company)], f"review {company}")
    return coach.start_review(owner, turn, Conversation())


def test_a_review_fills_the_panel_message_by_message(coach):
    reply = start(coach, ANNA, "Webco")
    state = coach.panel(ANNA, reply)
    assert state.panel.company == "Webco" and [d.company for d in state.deals] == ["Webco"]
    assert not any(f.known for f in state.panel.facts)

    turn = Turn(
        "give_facts",
        [
            Entity("sector", "steel_metals", source="pattern"),
            Entity("employees", 2000, source="count"),
        ],
        "a 2000-person steel company",
    )
    state = coach.panel(ANNA, coach.answer(ANNA, turn, Conversation()))
    changed = {f.key for f in state.panel.facts if f.changed}
    assert changed == {"sector", "company_size"}

    turn = Turn(
        "give_facts",
        [Entity("person", "Petra"), Entity("role", "decider")],
        "Petra decides",
    )
    state = coach.panel(ANNA, coach.answer(ANNA, turn, Conversation()))
    assert names(state.panel, "decider") == ["Petra"]
    assert lane(state.panel, "decider").cards[0].changed
    assert not any(f.changed for f in state.panel.facts)


def test_switching_deals_switches_the_panel_and_owners_never_mix(coach):
    start(coach, ANNA, "Webco")
    state = coach.panel(ANNA, start(coach, ANNA, "Globex"))
    assert state.panel.company == "Globex"
    assert sorted(d.company for d in state.deals) == ["Globex", "Webco"]
    back = coach.panel(ANNA, start(coach, ANNA, "Webco"))
    assert back.panel.company == "Webco"

    # Bob names Anna's deal: he gets a deal of his own, and sees none of hers.
    bob = coach.panel(BOB, start(coach, BOB, "Webco"))
    assert [d.company for d in bob.deals] == ["Webco"]
    assert bob.panel.deal_id not in {d.deal_id for d in back.deals}


def test_messages_about_no_deal_send_no_panel_and_print_words_ask_for_print(coach):
    from dealcoach.understanding.turns import Turn as T

    assert (
        coach.panel(ANNA, coach.start_quiz(ANNA, T("start_quiz", [], "quiz me"), Conversation()))
        is None
    )
    start(coach, ANNA, "Webco")
    plain = coach.brief(ANNA, T("deal_brief", [], "brief me"), Conversation())
    assert coach.panel(ANNA, plain).print_brief is False
    printed = coach.brief(ANNA, T("deal_brief", [], "print the brief"), Conversation())
    state = coach.panel(ANNA, printed)
    assert state.print_brief is True and state.panel.company == "Webco"
    listed = coach.list_deals(ANNA, T("list_deals", [], "my deals"), Conversation())
    assert [d.company for d in coach.panel(ANNA, listed).deals] == ["Webco"]
    # The trained intents know no printing: whatever they guess, the words decide.
    start(coach, ANNA, "Globex")
    for reply in (
        coach.about_concept(
            ANNA, T("explain_concept", [], "print the brief"), Conversation(), "explain"
        ),
        coach.advise(
            ANNA,
            T("ask_advice", [Entity("company", "Webco")], "print the Webco brief"),
            Conversation(),
        ),
        coach.list_deals(ANNA, T("list_deals", [], "print my briefing"), Conversation()),
    ):
        assert reply.messages[0].text.startswith("Brief: ") and reply.print_brief
    assert coach.panel(ANNA, reply).panel.company == "Globex"
    # "print" alone (a client who prints labels) asks for nothing.
    update = T("update_deal", [Entity("company", "Webco")], "update Webco: they print labels")
    assert not coach.update_deal(ANNA, update, Conversation()).print_brief


# --- the same map in Slack ---------------------------------------------------------------


def test_slack_brief_draws_the_map_as_fields_per_role_with_stance_emoji_and_words(kb):
    from channels.slack_blocks import STANCE_EMOJI, brief_blocks
    from dealcoach.coaching.brief import make_brief

    petra = Stakeholder("Petra Lang", title="CFO", roles=["decider"], stance="champion", met=True)
    deal = Deal(owner=ANNA, company="Webco", id=1, stakeholders=[petra])
    blocks = brief_blocks(make_brief(kb, deal), deal_panel(kb, deal), kb.web.panel)
    sections = [b for b in blocks if b["type"] == "section" and "fields" in b]
    assert all(len(b["fields"]) <= 10 for b in sections)
    fields = [f["text"] for b in sections for f in b["fields"]]
    decider = f"*{kb.label('role', 'decider')}*\n{STANCE_EMOJI['champion']} Petra Lang (CFO): "
    assert decider + f"{kb.label('stance', 'champion')}, {kb.web.panel['met']}" in fields
    empty = [f for f in fields if kb.web.panel["empty_seat"] in f]
    assert len(empty) == len(deal_panel(kb, deal).empty_seats) > 0
    assert any(kb.web.panel["map"] in b.get("text", {}).get("text", "") for b in blocks)


# --- quiz progress as a chart ------------------------------------------------------------


def test_progress_chart_keeps_the_last_quizzes_and_tallies_topics():
    from dealcoach.learning.quiz import progress_chart
    from dealcoach.storage.records import QuizResult

    history = [QuizResult(i, None, i % 6, 5, f"2026-01-{i:02d}") for i in range(1, 13)]
    answers = [("buying_centre", True), ("buying_centre", False), ("buy_classes", True)]
    chart = progress_chart(history, answers)
    assert [b.label for b in chart.scores] == [f"#{i}" for i in range(3, 13)]
    assert (chart.scores[-1].value, chart.scores[-1].total) == (0, 5)
    assert [(b.label, b.value, b.total) for b in chart.topics] == [
        ("buy classes", 1, 1),
        ("buying centre", 1, 2),
    ]


def test_how_am_i_doing_sends_the_quiz_chart(coach):
    coach.start_quiz(ANNA, Turn("start_quiz", [], "quiz me"), Conversation())
    for _ in range(5):
        coach.answer(ANNA, Turn("quiz_answer", [], "a"), Conversation())
    asked = coach.quiz_progress(ANNA, Turn("quiz_progress", [], "how am I doing?"), Conversation())
    state = coach.panel(ANNA, asked)
    assert [(b.label, b.total) for b in state.quiz.scores] == [("#1", 5)]
    assert sum(b.total for b in state.quiz.topics) == 5
    assert state.panel is None and state.deals == ()
    # Bob has taken no quiz: no chart for him, nothing of Anna's.
    bobs = coach.quiz_progress(BOB, Turn("quiz_progress", [], "how am I doing?"), Conversation())
    assert coach.panel(BOB, bobs) is None


# --- in the salesperson's language ------------------------------------------------------


def test_a_dutch_salespersons_panel_speaks_dutch_and_its_values_are_dutch_names(coach, kb):
    nl = kb.in_language("nl")
    reply = start(coach, ANNA, "Webco")
    turn = Turn(
        "give_facts",
        [Entity("person", "Petra"), Entity("role", "decider"), Entity("stance", "champion")],
        "Petra is de beslisser bij Webco en ze staat helemaal achter ons",
    )
    reply = coach.answer(ANNA, turn, Conversation())
    assert reply.language == "nl"
    state = coach.panel(ANNA, reply)
    assert state.language == "nl" and state.labels == nl.web.panel
    assert (
        lane(state.panel, "decider").label
        == nl.label("role", "decider")
        != kb.label("role", "decider")
    )
    card = lane(state.panel, "decider").cards[0]
    assert card.stance_label == nl.label("stance", "champion")
    assert [s.label for s in state.panel.stages] == [
        nl.label("buying_stage", key) for key in kb.values("buying_stage")
    ]
    assert state.panel.facts[0].value == nl.web.panel["unknown"]
    assert panel_to_wire(state)["language"] == "nl"
    # The same deal, asked about in English, draws in English: the store is the same.
    english = coach.brief(ANNA, Turn("ask_brief", [], "English please"), Conversation())
    state = coach.panel(ANNA, english)
    assert state.language == "en" and state.labels == kb.web.panel
    assert lane(state.panel, "decider").label == kb.label("role", "decider")


def test_a_dutch_slack_brief_draws_its_map_in_dutch(kb):
    from channels.slack_blocks import brief_blocks
    from dealcoach.coaching.brief import make_brief

    nl = kb.in_language("nl")
    petra = Stakeholder("Petra Lang", title="CFO", roles=["decider"], stance="champion", met=True)
    deal = Deal(owner=ANNA, company="Webco", id=1, stakeholders=[petra])
    blocks = brief_blocks(make_brief(nl, deal), deal_panel(nl, deal))
    text = json.dumps(blocks, ensure_ascii=False)
    assert nl.web.panel["map"] in text and nl.web.panel["empty_seat"] in text
    assert f"{nl.label('stance', 'champion')}, {nl.web.panel['met']}" in text
    assert kb.web.panel["empty_seat"] not in text


def test_a_dutch_quiz_chart_names_its_topics_in_dutch(coach, kb):
    coach.start_quiz(ANNA, Turn("start_quiz", [], "overhoor me eens over de deal"), Conversation())
    for _ in range(5):
        coach.answer(ANNA, Turn("quiz_answer", [], "a"), Conversation())
    asked = coach.quiz_progress(
        ANNA, Turn("quiz_progress", [], "hoe doe ik het tot nu toe?"), Conversation()
    )
    assert asked.language == "nl"
    nl = kb.in_language("nl")
    topics = [b.label for b in coach.panel(ANNA, asked).quiz.topics]
    dutch_topics = {v for k, v in nl.phrases.items() if k.startswith("quiz_topic_")}
    assert topics and set(topics) <= dutch_topics
