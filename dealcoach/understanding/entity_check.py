"""The entities of a message, checked before anything acts on them.

The NLU gives canonical values, but a salesperson can type anything, including a
button payload by hand (``/give_facts{"employees": "lots"}``), and names are free
text. Only what the deal model can hold gets through:

* canonical entities (``sector``, ``role``, ...) with a value of ``knowledge/entities/``;
  ``concept`` and ``quiz_choice`` with a concept id;
* ``employees`` as a whole number from 1 to ``MAX_EMPLOYEES`` (made an ``int``);
* names (``company``, ``person``) as one line of printable text: control and
  formatting characters (NUL, escape codes, right-to-left overrides, zero-width
  spaces) removed, white space collapsed, at most ``MAX_NAME_LENGTH`` characters.

Anything else is dropped, as if it had not been said: the review then answers that
it did not catch a fact, rather than storing a value no one can use.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, Iterable, List

from dealcoach.knowledge_base.loader import KnowledgeBase

#: Longer names are cut here (a Slack header holds 150 characters, "Brief: " included).
MAX_NAME_LENGTH = 100
#: More than the largest employer in the world; beyond it a count is a typing slip.
MAX_EMPLOYEES = 10_000_000
NAME_ENTITIES = ("company", "person")
CONCEPT_ENTITIES = ("concept", "quiz_choice")


def checked_entities(kb: KnowledgeBase, entities: Iterable[Any]) -> List[Dict[str, Any]]:
    """The entities that name something the deal model knows, with clean values."""
    kept = []
    for entity in entities:
        if not isinstance(entity, dict) or not isinstance(entity.get("entity"), str):
            continue
        value = checked_value(kb, entity["entity"], entity.get("value"))
        if value is not None:
            kept.append({**entity, "value": value})
    return kept


def clean_name(value: Any) -> str | None:
    """A name as one printable line of at most ``MAX_NAME_LENGTH`` characters, or None."""
    if not isinstance(value, str):
        return None
    printable = "".join(
        " " if unicodedata.category(c) == "Cc" else c
        for c in value
        if unicodedata.category(c) != "Cf"
    )
    name = " ".join(printable.split())
    if len(name) > MAX_NAME_LENGTH:
        name = name[:MAX_NAME_LENGTH].rstrip()
    return name or None


def checked_value(kb: KnowledgeBase, name: str, value: Any) -> Any:
    """``value`` made clean for an entity of type ``name``, or None when the deal model
    cannot hold it."""
    if name in NAME_ENTITIES:
        return clean_name(value)
    if name == "employees":
        return _count(value)
    if name in CONCEPT_ENTITIES:
        return value if isinstance(value, str) and value in kb.concepts else None
    known = kb.entities.get(name)
    if known is not None and isinstance(value, str) and value in known.values:
        return value
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
        value = int(value)
    if isinstance(value, int) and 1 <= value <= MAX_EMPLOYEES:
        return value
    return None
