"""The trainer's review page (docs/advice_review.md, `make docs`): generated from the
knowledge base, committed, and always what the generator writes now."""

import pytest

from dealcoach.coaching.representative import load_representative_deals
from dealcoach.knowledge_base import schemas
from dealcoach.knowledge_base.loader import load_knowledge
from dealcoach.knowledge_base.vocabulary import CONDITION_VALUES
from dealcoach.serving import cli
from dealcoach.serving.review_page import PAGE, conditions_in_words, describe_condition, review_page
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def page(kb):
    return review_page(kb, load_representative_deals(kb))


def test_the_committed_page_is_what_the_generator_writes_now(page):
    committed = (ROOT / PAGE).read_text(encoding="utf-8")
    assert committed == page, "docs/advice_review.md is out of date: run `make docs`"


def test_the_page_shows_every_rule_and_every_representative_deal(kb, page):
    for rule in kb.rules.values():
        assert f'<a id="rule-{rule.id}"></a>' in page
    for deal in load_representative_deals(kb):
        assert f'<a id="deal-{deal.id}"></a>' in page
    assert "{" not in page.split("## The representative deals")[1]  # every deal text filled


def test_a_rule_reads_in_plain_words(kb, page):
    rule = kb.rules["new_task_late_entry"]
    lines = conditions_in_words(kb, rule.when)
    assert "the purchase situation is new task" in lines
    assert "nobody who is the prescriber has been met (or nobody is known to be)" in lines
    section = page.split('<a id="rule-new_task_late_entry"></a>')[1].split("<a id=")[0]
    assert "**Because** it is a new task, they are already at the [buying stage] stage" in section
    assert "**Its reason assumes:**" in section and "Robinson, Faris & Wind 1967" in section


EXAMPLES = {"stakeholders_min": 2, "stakeholders_max": 2, "sector_family": ("public",),
            "stance_present": ("champion",), "stance_absent": ("champion",)}  # fmt: skip


def _example(kb, key):
    if key in EXAMPLES:
        return EXAMPLES[key]
    return ("decider",) if key in CONDITION_VALUES else (kb.values(key)[0],)


def test_every_condition_the_schema_accepts_has_words(kb):
    # A new condition key without words fails here (describe_condition raises).
    for key in schemas.WHEN["properties"]:
        words = conditions_in_words(kb, ((key, _example(kb, key)),))
        assert words and all("_" not in line for line in words), (key, words)
    assert describe_condition(kb, "sector_family", ("public", "unknown")).startswith(
        "the client's sector is public (education, healthcare, public sector) or not known"
    )
    with pytest.raises(ValueError, match="no words"):
        describe_condition(kb, "mood", ("happy",))


def test_dealcoach_docs_writes_the_page_and_checks_it(tmp_path, capsys):
    out = tmp_path / "review.md"
    assert cli.main(["docs", "--check", "--out", str(out)]) == 1  # no page yet
    assert cli.main(["docs", "--out", str(out)]) == 0
    assert cli.main(["docs", "--check", "--out", str(out)]) == 0
    out.write_text(out.read_text() + "\nedited by hand\n")
    assert cli.main(["docs", "--check", "--out", str(out)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_the_page_follows_the_knowledge_base(broken_kb):
    root, edit = broken_kb
    edit("advice/buying_stages.yml", lambda d: d["rules"][0].update(priority=12))
    kb = load_knowledge(root)
    changed = review_page(kb, load_representative_deals(kb))
    assert "#### `stage_unknown` (priority 12)" in changed
