"""The languages of the knowledge base, and how a file holds a text in each of them.

Every text a salesperson sees is written once per language, inline, where the English
text used to stand::

    definition:
      en: "All the people in the client organisation who take part in a purchase ..."
      nl: "Iedereen in de organisatie van de klant die meebeslist over een aankoop ..."

A list of lines (a concept's ``for_the_salesperson``) is a list of such texts, one
``{en, nl}`` per line, so that a line and its translation stay side by side and the two
languages cannot drift apart in length or order.

Word lists the bot *understands* (a concept's ``aliases``, the yes/no words and group
words of the interview) are one list per language, of any length, because a Dutch
salesperson does not type translations of the English words::

    aliases:
      en: [buying centre, dmu, buying group]
      nl: [inkoopcentrum, dmu, beslissingseenheid]

The two kinds are told apart in the schemas (``schemas.py``): ``shown(...)`` marks a
text shown in one language, ``understood(...)`` a word list understood in every
language. One walk over a file and its schema (``bilingual_nodes``) finds both, for
the completeness check, the placeholder check, the view of one language
(``in_language``) and the fold of translators' mirror files (``fold``).

A view of one language replaces each shown text by its text in that language and each
understood word list by the words of all languages together (English first): a Dutch
word typed in an English conversation is still understood.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Tuple

#: The languages every text is written in; the first is the default.
LANGUAGES: Tuple[str, ...] = ("en", "nl")
DEFAULT_LANGUAGE = LANGUAGES[0]
#: Each language in words, for messages about a file.
LANGUAGE_NAMES = {"en": "English", "nl": "Dutch"}

#: The schema keyword marking a bilingual node: "shown" or "understood".
BILINGUAL = "bilingual"
SHOWN, UNDERSTOOD = "shown", "understood"


def _in_every_language(item: Dict[str, Any], kind: str) -> Dict[str, Any]:
    return {
        "type": "object",
        "required": list(LANGUAGES),
        "additionalProperties": False,
        "properties": {language: item for language in LANGUAGES},
        BILINGUAL: kind,
    }


def shown(text_schema: Dict[str, Any]) -> Dict[str, Any]:
    """Schema of a text shown to the salesperson: one ``text_schema`` per language."""
    return _in_every_language(text_schema, SHOWN)


def understood(list_schema: Dict[str, Any]) -> Dict[str, Any]:
    """Schema of a word list the bot understands: one list per language."""
    return _in_every_language(list_schema, UNDERSTOOD)


def is_language(language: object) -> bool:
    return language in LANGUAGES


#: (field path, kind, the node ``{en: ..., nl: ...}``)
Node = Tuple[str, str, Dict[str, Any]]


def bilingual_nodes(schema: Dict[str, Any], data: Any, where: str = "") -> Iterator[Node]:
    """Every bilingual node of ``data`` (already valid against ``schema``), with its
    field path in the loader's notation (``concepts[1].definition``)."""
    if BILINGUAL in schema:
        if isinstance(data, dict):
            yield where or "(top level)", schema[BILINGUAL], data
        return
    if isinstance(data, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in data.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                yield from bilingual_nodes(sub, value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(data):
            yield from bilingual_nodes(schema["items"], item, f"{where}[{i}]")


def transform(
    schema: Dict[str, Any], data: Any, change: Callable[[str, Any], Any], where: str = ""
) -> Any:
    """A copy of ``data`` with each bilingual node replaced by ``change(kind, node)``."""
    if BILINGUAL in schema and isinstance(data, dict):
        return change(schema[BILINGUAL], data)
    if isinstance(data, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        copy = {}
        for key, value in data.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            copy[key] = value if sub is None else transform(sub, value, change)
        return copy
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        return [transform(schema["items"], item, change) for item in data]
    return data


def in_language(schema: Dict[str, Any], data: Any, language: str) -> Any:
    """``data`` as one language sees it: shown texts in ``language``, understood word
    lists in every language (``language``'s words first, no word twice)."""

    def pick(kind: str, node: Dict[str, Any]) -> Any:
        if kind == SHOWN:
            return node[language]
        words: List[Any] = []
        for each in (language, *(other for other in LANGUAGES if other != language)):
            words += [word for word in node[each] if word not in words]
        return words

    return transform(schema, data, pick)
