"""The learned models on a small real sample: training, saving, loading, reading."""

import pytest

from dealcoach.understanding.learned import (
    MODELS,
    Annotated,
    LearnedReader,
    Mention,
    Person,
    Settings,
    annotated_from_dict,
    augmented,
    facts_data_files,
    load_annotated,
    marked_text,
    mention_examples,
)


def test_a_mention_and_the_pronouns_after_it_are_marked():
    text = "Sofia runs the evaluation, she'll recommend a vendor to the CEO who signs"
    mentions = [Mention(0, 5), Mention(60, 63)]
    assert marked_text(text, mentions, 0).startswith("xxtargetxx runs the evaluation, xxtargetxx")
    assert "the xxtargetxx who signs" in marked_text(text, mentions, 1)
    assert "xxotherxx 'll recommend" in marked_text(text, mentions, 1)


def test_annotated_messages_find_their_names_and_people():
    example = annotated_from_dict(
        {
            "text": "ops director Sofia Marques runs it, the CEO signs",
            "intent": "give_facts",
            "entities": {"person": ["Sofia Marques"], "role": ["buyer", "decider"]},
            "people": [
                {"who": "Sofia Marques", "roles": ["buyer"]},
                {"who": "CEO", "roles": ["decider"], "met": "not_met"},
            ],
        }
    )
    assert example.names == [(13, 26, "person")]
    assert example.message_labels() == ["role=buyer", "role=decider"]
    assert example.people[1].labels() == ["role=decider", "met=not_met"]
    marked = [labels for _, labels in mention_examples(example)]
    assert marked == [["role=buyer"], ["role=decider", "met=not_met"]]


def test_an_answer_to_a_role_question_does_not_teach_the_role_from_its_words():
    example = annotated_from_dict(
        {
            "text": "that'd be marta",
            "context": "decider",
            "entities": {"person": ["marta"], "role": ["decider"]},
            "people": [{"who": "marta", "roles": ["decider"]}],
        }  # fmt: skip
    )
    assert example.message_labels() == []
    assert example.people[0].roles == []


def test_typing_slips_keep_names_in_place():
    import random

    example = Annotated(
        text="Petra Lang from Nordstahl is comparing several suppliers",
        names=[(0, 10, "person"), (16, 25, "company")],
        people=[Person("Petra Lang", ["buyer"])],
    )
    for copy in augmented([example] * 20, 1.0, random.Random(3))[20:]:
        assert [copy.text[s:e].lower() for s, e, _ in copy.names] == ["petra lang", "nordstahl"]


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    examples = load_annotated(facts_data_files())[::25]
    labels = {
        "intent": sorted({e.intent for e in examples if e.intent}),
        "facts": ["buying_stage=negotiation", "perceived_risk=high", "sector=logistics"],
        "mention": ["role=decider", "role=buyer", "stance=supporter", "met=met"],
    }
    out = tmp_path_factory.mktemp("learned")
    LearnedReader.train(examples, labels, out, Settings(epochs=2, parallel=False))
    return out, labels


def test_trained_models_are_saved_and_read_back(reader):
    out, labels = reader
    loaded = LearnedReader.from_disk(out)
    assert set(loaded.models) == set(MODELS)
    scores = loaded.read_message("Petra at Nordstahl wants 5% off, they are negotiating hard")
    assert [intent for intent, _ in scores.intents] == sorted(
        labels["intent"], key=dict(scores.intents).get, reverse=True
    )
    assert set(scores.facts) == set(labels["facts"])
    assert all(0.0 <= p <= 1.0 for p in scores.facts.values())
    for start, end, label in scores.names:
        assert label in ("company", "person") and 0 <= start < end
    text = "the CFO signs, Jan runs the tender"
    (cfo, jan) = loaded.read_mentions(text, [Mention(4, 7), Mention(15, 18)])
    assert set(cfo) == set(jan) == set(labels["mention"])


def test_labels_come_from_the_knowledge_base(kb):
    from dealcoach.understanding.learned import fact_labels, mention_labels

    facts = fact_labels(kb)
    assert "buying_stage=negotiation" in facts and "sector=logistics" in facts
    assert len(facts) == sum(len(kb.values(t)) for t in {f.split("=")[0] for f in facts})
    assert set(mention_labels(kb)) >= {"role=decider", "stance=champion", "met=not_met"}


def test_unfamiliar_words_lower_the_intent_confidence(reader):
    out, _ = reader
    loaded = LearnedReader.from_disk(out)
    known = next(iter(loaded.vocabulary))
    assert loaded.familiarity(f"{known} {known}") == 1.0
    assert loaded.familiarity("\U0001f680\U0001f525") == 0.0
    assert loaded.familiarity(f"{known} qzxwv") == 0.5
    # Names are new by nature: they do not count against a message.
    assert loaded.familiarity(f"{known} Qzxwv", [(len(known) + 1, len(known) + 6, "person")]) == 1.0
    junk = loaded.read_message("\U0001f680\U0001f525")
    assert all(p == 0.0 for _, p in junk.intents)


def test_long_messages_are_also_read_clause_by_clause(reader, kb):
    from dealcoach.knowledge_base.loader import NameCues
    from dealcoach.understanding.extraction import EntityExtractor, RuleTable
    from dealcoach.understanding.names import NameResolver
    from dealcoach.understanding.reading import MessageReader, ReadingPolicy

    out, _ = reader
    loaded = LearnedReader.from_disk(out)
    policy = ReadingPolicy(clause_types=("buying_stage",), clause_words=12)
    table = RuleTable.from_knowledge(kb)
    names = NameResolver(NameCues.from_dict(table.name_cues))
    message_reader = MessageReader(EntityExtractor(table), loaded, names, policy)
    text = "Petra runs procurement there, about 300 staff - they are haggling over the discount"
    whole = loaded.read_message(text).facts
    raised = message_reader._with_clauses(text, whole)
    clauses = text.replace(" - ", ", ").split(", ")
    for label, p in raised.items():
        if label.startswith("buying_stage="):
            best = max([whole[label]] + [loaded.read_facts(c)[label] for c in clauses])
            assert p == pytest.approx(best)
        else:
            assert p == whole[label]
    short = "they are haggling over the discount"
    assert message_reader._with_clauses(short, {"x": 0.1}) == {"x": 0.1}
