"""The placeholders an advice text may use ({company}, {decider}, ...) and what each
stands for. The loader refuses a rule with any other placeholder; the advice engine
fills them from the deal; the trainer's page shows them in words."""

from __future__ import annotations

import re
from typing import Dict, List

from dealcoach.deal import DEAL_FACTS

#: Placeholders naming people of the buying centre: the holders of the role, by name
#: (or "the CFO" when only the title is known), else "the <role>".
ROLE_PLACEHOLDERS = ("decider", "gatekeeper", "buyer", "prescriber", "user", "initiator")

#: Placeholder -> what it stands for, in words (shown on the trainer's page).
PLACEHOLDERS: Dict[str, str] = {
    "company": "the client",
    "contact": "your first contact",
    **{role: f"the {role}" for role in ROLE_PLACEHOLDERS},
    "unmet_decider": "the decider you have not met",
    "met_prescriber": "the prescriber you have met",
    "opponent": "the opponent",
    "supporter": "the supporter",
    "champion": "the champion",
    **{fact: f"the {fact.replace('_', ' ')}" for fact in DEAL_FACTS},
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders_in(text: str) -> List[str]:
    """The placeholder names a text uses, in order."""
    return _PLACEHOLDER.findall(text)


def fill(template: str, values: Dict[str, str]) -> str:
    """The text with each placeholder replaced by its value (unknown ones left as they are)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
