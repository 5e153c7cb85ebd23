"""The knowledge base in two languages: complete, with the same placeholders in each,
folded from translators' mirror files; and the salesperson's language told from what
they write."""

from __future__ import annotations

import shutil
import textwrap

import pytest
import yaml

from dealcoach.knowledge_base import schemas
from dealcoach.knowledge_base.fold import fold_folder, fold_text, main, schema_for
from dealcoach.knowledge_base.languages import LANGUAGES, SHOWN, bilingual_nodes
from dealcoach.knowledge_base.loader import KnowledgeError, knowledge_files, load_knowledge
from dealcoach.settings import ROOT
from dealcoach.understanding.extraction import EntityExtractor
from dealcoach.understanding.language import detect, requested

# --- every text in every language --------------------------------------------------


def test_every_shown_text_of_the_knowledge_base_is_written_in_every_language():
    checked = 0
    for path in knowledge_files(ROOT / "knowledge"):
        schema = schema_for(path.relative_to(ROOT / "knowledge"))
        if schema is None:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for where, kind, node in bilingual_nodes(schema, data):
            assert set(node) == set(LANGUAGES), f"{path}: {where}"
            assert all(node[language] for language in LANGUAGES), f"{path}: {where}"
            checked += kind == SHOWN
    assert checked > 500  # concepts, advice, claims, flags, quiz, interview, labels


def test_the_dutch_view_shows_dutch_and_the_english_view_english(kb):
    dutch = kb.in_language("nl")
    assert kb.language == "en" and dutch.language == "nl"
    assert dutch.in_language("en") is kb
    concept = "buying_centre"
    assert kb.concepts[concept].definition != dutch.concepts[concept].definition
    assert "inkoop" in dutch.concepts[concept].name.lower()
    assert dutch.label("role", "decider") == "beslisser"
    assert kb.label("role", "decider") == "decider"
    # Ids, conditions and references are one and the same in both views.
    assert list(kb.rules) == list(dutch.rules)
    assert [r.when for r in kb.rules.values()] == [r.when for r in dutch.rules.values()]
    assert [q.key for q in kb.questions] == [q.key for q in dutch.questions]


def test_aliases_of_every_language_feed_concept_lookup(kb):
    extractor = EntityExtractor.from_knowledge(kb)
    for text in ("what is a buying centre?", "wat is een inkoopcentrum?", "wat is een DMU?"):
        concepts = {e.value for e in extractor.extract(text) if e.entity == "concept"}
        assert concepts == {"buying_centre"}, text
    # Both views understand the words of both languages.
    assert set(kb.concepts["buying_centre"].aliases) == set(
        kb.in_language("nl").concepts["buying_centre"].aliases
    )


@pytest.fixture
def knowledge_copy(tmp_path):
    root = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", root)

    def edit(relative, change):
        path = root / relative
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    return root, edit


def test_a_text_without_its_dutch_is_refused_naming_file_and_field(knowledge_copy):
    root, edit = knowledge_copy
    path = edit("concepts/buying_centre.yml", lambda d: d["concepts"][1]["definition"].pop("nl"))
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(root)
    assert error.value.file == str(path)
    assert error.value.field == "concepts[1].definition"
    assert "no text in nl (Dutch)" in error.value.message


def test_a_text_in_one_language_only_is_refused(knowledge_copy):
    root, edit = knowledge_copy
    path = edit("risk_flags.yml", lambda d: d["flags"][2].update(flag="No decider known."))
    with pytest.raises(KnowledgeError, match="one language only") as error:
        load_knowledge(root)
    assert (error.value.file, error.value.field) == (str(path), "flags[2].flag")


def test_a_line_of_a_list_without_its_dutch_is_refused(knowledge_copy):
    root, edit = knowledge_copy
    edit(
        "concepts/perceived_risk.yml",
        lambda d: d["concepts"][0]["for_the_salesperson"][1].pop("nl"),
    )
    with pytest.raises(KnowledgeError) as error:
        load_knowledge(root)
    assert error.value.field == "concepts[0].for_the_salesperson[1]"


def test_dutch_aliases_are_required_too(knowledge_copy):
    root, edit = knowledge_copy
    edit("concepts/buying_centre.yml", lambda d: d["concepts"][0]["aliases"].pop("nl"))
    with pytest.raises(KnowledgeError, match="no text in nl") as error:
        load_knowledge(root)
    assert error.value.field == "concepts[0].aliases"


def _drop_company(data):
    rule = next(r for r in data["rules"] if "{company}" in r["advice"]["en"])
    rule["advice"]["nl"] = rule["advice"]["nl"].replace("{company}", "de klant")
    return data["rules"].index(rule)


def test_a_dutch_text_missing_a_placeholder_is_refused(knowledge_copy):
    root, edit = knowledge_copy
    found = {}
    path = edit("advice/buying_centre.yml", lambda d: found.update(i=_drop_company(d)))
    with pytest.raises(KnowledgeError, match="placeholders differ between languages") as error:
        load_knowledge(root)
    assert error.value.file == str(path)
    assert error.value.field == f"rules[{found['i']}].advice.nl"
    assert "en has {company}" in error.value.message and "nl has none" in error.value.message


def test_a_dutch_text_with_a_placeholder_the_english_lacks_is_refused(knowledge_copy):
    root, edit = knowledge_copy

    def add_contact(data):
        data["questions"][2]["ask"]["nl"] += " Vraag het {contact}."

    edit("interview.yml", add_contact)
    with pytest.raises(KnowledgeError, match=r"nl has \{contact\}") as error:
        load_knowledge(root)
    assert error.value.field == "questions[2].ask.nl"


# --- folding the translators' mirror files ----------------------------------------

ENGLISH_ADVICE = textwrap.dedent(
    """\
    # Advice, with a comment that must survive the fold.
    rules:
      - id: find_the_decider
        when:
          missing_role: [decider]
        advice: >-
          Find out who makes the final call at {company}: ask your contact who else needs
          to be comfortable before this is signed.
        because: "nobody is known to decide yet"
        asserts: [no_decider_known]
        priority: 95
        concept: role_decider

      - id: second
        when:
          perceived_risk: [low]
        advice: "Keep it simple."
        because: "it is routine"
        asserts: []
        priority: 10
        concept: perceived_risk
    """
)

MIRROR_ADVICE = textwrap.dedent(
    """\
    rules:
      - id: find_the_decider
        when:
          missing_role: [beslisser]
        advice: "Zoek uit wie bij {company} de knoop doorhakt: vraag wie er nog achter moet staan."
        because: "van niemand weet je nog dat die beslist"
        asserts: [no_decider_known]
        priority: 95
        concept: role_decider
      - id: second
        when:
          perceived_risk: [low]
        advice: "Hou het eenvoudig."
        asserts: []
        priority: 10
        concept: perceived_risk
    """
)


def test_fold_writes_each_text_in_both_languages_and_keeps_the_rest():
    text, report = fold_text(ENGLISH_ADVICE, MIRROR_ADVICE, schemas.ADVICE, "nl")
    data = yaml.safe_load(text)
    first, second = data["rules"]
    assert first["advice"]["nl"].startswith("Zoek uit wie bij {company}")
    assert first["advice"]["en"].startswith("Find out who makes the final call at {company}")
    assert first["because"] == {
        "en": "nobody is known to decide yet",
        "nl": "van niemand weet je nog dat die beslist",
    }
    # A condition the mirror changed is not a text: kept, and reported.
    assert first["when"] == {"missing_role": ["decider"]}
    assert "rules[0].when.missing_role[0]" in report.ignored
    # A text the mirror lacks stays one-language and is reported (the loader refuses it).
    assert second["because"] == "it is routine"
    assert report.missing == ["rules[1].because"]
    assert report.folded == 3
    # Comments and the English text's style stay; the Dutch takes the same style.
    assert text.startswith("# Advice, with a comment that must survive the fold.")
    assert "    advice:\n      en: >-\n" in text and "      nl: >-\n" in text


def test_folding_again_takes_the_new_translation_and_changes_nothing_else():
    once, _ = fold_text(ENGLISH_ADVICE, MIRROR_ADVICE, schemas.ADVICE, "nl")
    revised = MIRROR_ADVICE.replace("Hou het eenvoudig.", "Houd het simpel.")
    twice, _ = fold_text(once, revised, schemas.ADVICE, "nl")
    assert yaml.safe_load(twice)["rules"][1]["advice"]["nl"] == "Houd het simpel."
    assert twice == once.replace("Hou het eenvoudig.", "Houd het simpel.")
    again, _ = fold_text(twice, revised, schemas.ADVICE, "nl")
    assert again == twice


def test_fold_reads_a_translators_no_as_a_word(tmp_path):
    english = 'yes_no:\n  "no": ["no", "nope"]\n  "yes": ["yes"]\n  unsure: ["no idea"]\n'
    mirror = "yes_no:\n  no: [nee, no, off]\n  yes: [ja]\n  unsure: [geen idee]\n"
    text, report = fold_text(english, mirror, schemas.INTERVIEW, "nl")
    assert not report.missing
    no = yaml.safe_load(text)["yes_no"]["no"]
    assert no == {"en": ["no", "nope"], "nl": ["nee", "no", "off"]}


def test_the_fold_command_folds_a_folder_and_says_what_is_missing(tmp_path, capsys):
    knowledge, mirror = tmp_path / "knowledge", tmp_path / "mirror"
    (knowledge / "advice").mkdir(parents=True)
    (mirror / "advice").mkdir(parents=True)
    (knowledge / "advice" / "rules.yml").write_text(ENGLISH_ADVICE)
    (mirror / "advice" / "rules.yml").write_text(MIRROR_ADVICE)
    reports = fold_folder(mirror, knowledge, "nl")
    assert [r.file for r in reports] == ["advice/rules.yml"] and reports[0].folded == 3
    status = main([str(mirror), "--knowledge", str(knowledge)])
    out = capsys.readouterr().out
    assert status == 1 and "not translated: rules[1].because" in out


# --- the salesperson's language --------------------------------------------------


@pytest.mark.parametrize(
    "text, language",
    [
        ("de deal bij Acme zit in de shortlist fase", "nl"),
        ("we zitten in de onderhandeling, de aankoper wil korting", "nl"),
        ("wie hakt de knoop door bij Nordstahl?", "nl"),
        ("de CFO heeft het laatste woord, het is een nieuwe aankoop", "nl"),
        # A greeting and a new deal are enough to answer the first reply in Dutch.
        ("hoi, nieuwe deal: Van Dijk Installatietechniek", "nl"),
        ("the CFO makes the final call, it's a new purchase for a 2000-person steel company", "en"),
        ("let's review the Nordstahl deal", "en"),
        ("Procurement is running an RFP and they want a demo next week", "en"),
        # Too little to tell: sales words, names, one word.
        ("Petra Lang, CFO", None),
        ("RFP, shortlist, 3 vendors", None),
        ("ja", None),
        ("nieuwe deal: Acme", None),
        ("de CFO makes the call", None),
        # Dutch name particles are no Dutch words.
        ("Jan van der Berg is the CFO", None),
        ("Sofie De Smet en Pieter-Jan Van den Broeck zitten in het MT", "nl"),
    ],
)
def test_the_language_of_a_message(kb, text, language):
    assert detect(text, kb.language_cues).language == language


def test_a_reading_says_what_it_counted(kb):
    reading = detect("de deal bij Acme zit in de shortlist fase", kb.language_cues)
    assert reading.counts == {"en": 0, "nl": 4}


@pytest.mark.parametrize(
    "text, language",
    [
        ("kan het in het Nederlands?", "nl"),
        ("Spreek Nederlands aub", "nl"),
        ("Dutch please", "nl"),
        ("can we do this in Dutch?", "nl"),
        ("English please", "en"),
        ("in English", "en"),
        ("kan het in het Engels?", "en"),
        ("liever Engels", "en"),
        ("mag ik overschakelen naar het engels", "en"),
        ("zet je taal op nederlands", "nl"),
        ("kun jij ook nederlands spreken?", "nl"),
        # A language named in a longer message is no request.
        ("the client wants the whole proposal written in Dutch by Friday", None),
        ("ze willen de offerte in het Engels, voor het hoofdkantoor in Londen", None),
        ("de deal bij Acme zit in de shortlist fase", None),
    ],
)
def test_asking_for_a_language(kb, text, language):
    assert requested(text, kb.language_cues) == language
