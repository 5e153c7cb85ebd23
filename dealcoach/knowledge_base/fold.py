"""Fold translators' mirror files into the knowledge base, as inline ``{en, nl}`` texts.

A translator writes ``<mirror>/<path>.yml`` for ``knowledge/<path>.yml``: the same
structure and ids, each text in the other language, understood word lists (aliases,
yes/no words) as that language's own words. This module walks the knowledge file, the
mirror and the file's schema together (``languages.bilingual_nodes`` marks which
fields are texts) and writes each text back as ``{en: <as it was>, nl: <mirror's>}``;
a text folded before gets the mirror's new version. Everything that is not a text
(ids, conditions, references, numbers) stays as the knowledge file has it: a mirror
that changed one is reported, never followed.

The knowledge file is rewritten with ruamel's round trip, so its comments and the style
of its English texts (folded, quoted) stay; the Dutch text takes the English one's style.

Run ``python -m dealcoach.knowledge_base.fold <mirror folder> [--language nl]
[--knowledge knowledge]``; it prints what it folded, and what it could not (a text the
mirror lacks stays one-language, which the loader then refuses, naming it).
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString

from dealcoach.knowledge_base import schemas
from dealcoach.knowledge_base.languages import BILINGUAL, LANGUAGES, SHOWN

#: Which schema each knowledge file follows, by its path under ``knowledge/``.
_SCHEMAS = (
    ("concepts/*.yml", schemas.CONCEPTS),
    ("entities/*.yml", schemas.ENTITIES),
    ("advice/deals/*.yml", schemas.REPRESENTATIVE_DEALS),
    ("advice/*.yml", schemas.ADVICE),
    ("quiz/*.yml", schemas.QUIZ),
    ("interview.yml", schemas.INTERVIEW),
    ("claims.yml", schemas.CLAIMS),
    ("risk_flags.yml", schemas.RISK_FLAGS),
)
#: Column at which a folded Dutch text is wrapped (that of the English files).
_WIDTH = 88


def schema_for(relative: Path) -> Dict[str, Any] | None:
    """The schema of a knowledge file (``advice/deals/x.yml``), or None (no texts)."""
    for pattern, schema in _SCHEMAS:
        if relative.match(pattern) and len(relative.parts) == len(Path(pattern).parts):
            return schema
    return None


@dataclass
class FoldReport:
    """What folding one mirror file did."""

    file: str
    folded: int = 0
    #: Texts the mirror lacks (they stay in one language): field paths.
    missing: List[str] = field(default_factory=list)
    #: Values that are not texts but differ in the mirror (ignored): field paths.
    ignored: List[str] = field(default_factory=list)


def _yaml() -> YAML:
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096  # keep each English line as written; no rewrapping
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def fold_text(english: str, mirror: str, schema: Dict[str, Any], language: str) -> tuple:
    """The knowledge file's text with the mirror's texts folded in, and its FoldReport."""
    rt = _yaml()
    data = rt.load(english)
    report = FoldReport(file="")
    # Read as YAML 1.2, as ruamel reads the knowledge file: a translator's unquoted
    # "no" or "off" in a word list is the word, not false.
    theirs = YAML(typ="safe", pure=True).load(mirror)
    _fold(schema, data, theirs, language, "", report)
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue(), report


def _fold(
    schema: Dict[str, Any], node: Any, mirror: Any, language: str, where: str, report: FoldReport
) -> Any:
    """``node`` with the mirror's texts folded in (containers changed in place)."""
    if BILINGUAL in schema:
        return _bilingual(schema[BILINGUAL], node, mirror, language, where, report)
    if isinstance(node, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key in list(node):
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            inner = f"{where}.{key}" if where else str(key)
            theirs = mirror.get(key) if isinstance(mirror, dict) else None
            if sub is None:
                if theirs != node[key]:
                    report.ignored.append(inner)
                continue
            before = node[key]
            node[key] = _fold(sub, before, theirs, language, inner, report)
            if node[key] is not before and isinstance(node, CommentedMap):
                _move_comment(node, key, node[key])
        return node
    if isinstance(node, list) and isinstance(schema.get("items"), dict):
        theirs = mirror if isinstance(mirror, list) and len(mirror) == len(node) else None
        if theirs is None and mirror is not None:
            report.ignored.append(f"{where} (a list of another length)")
        for i in range(len(node)):
            item = theirs[i] if theirs is not None else None
            node[i] = _fold(schema["items"], node[i], item, language, f"{where}[{i}]", report)
        return node
    if mirror is not None and mirror != node:
        report.ignored.append(where)
    return node


def _move_comment(parent: CommentedMap, key: str, texts: CommentedMap) -> None:
    """The comment or blank lines after a text now follow its last language, not its key
    (else they would stand between the key and its texts)."""
    comment = parent.ca.items.pop(key, None)
    if comment is not None:
        texts.ca.items[list(texts)[-1]] = comment


def _bilingual(
    kind: str, node: Any, mirror: Any, language: str, where: str, report: FoldReport
) -> Any:
    english = node[LANGUAGES[0]] if isinstance(node, dict) else node
    if isinstance(mirror, dict):  # a mirror of an already bilingual file
        mirror = mirror.get(language)
    fits = isinstance(mirror, str) if kind == SHOWN else isinstance(mirror, list)
    if not fits or not mirror:
        report.missing.append(where)
        return node
    # A text folded before keeps its map (and the comment after it); a new one gets one.
    texts = node if isinstance(node, CommentedMap) else CommentedMap([(LANGUAGES[0], english)])
    texts[language] = _styled_like(english, mirror) if kind == SHOWN else _words(english, mirror)
    report.folded += 1
    return texts


def _styled_like(english: Any, text: str) -> Any:
    """The translation in the style of the English text: folded (``>-``) when that
    is, wrapped at ``_WIDTH``; else double-quoted on one line."""
    text = " ".join(text.split()) if isinstance(english, FoldedScalarString) else text
    if not isinstance(english, FoldedScalarString):
        return DoubleQuotedScalarString(text)
    folded = FoldedScalarString(text)
    positions, line_start, last_space = [], 0, None
    for i, char in enumerate(text):
        if char == " ":
            if i - line_start > _WIDTH - 10 and last_space is not None:
                positions.append(last_space)
                line_start = last_space + 1
            last_space = i
    if len(text) - line_start > _WIDTH - 10 and last_space is not None and last_space > line_start:
        positions.append(last_space)
    folded.fold_pos = positions  # type: ignore[attr-defined]
    return folded


def _words(english: Any, words: Sequence[str]) -> CommentedSeq:
    """The translated word list, one flow-style line like the English one."""
    # Quoted, so that the loader (YAML 1.1) reads "nee", "no" or "off" as words.
    seq = CommentedSeq(DoubleQuotedScalarString(str(word)) for word in words)
    seq.fa.set_flow_style()
    return seq


def fold_folder(mirror_root: Path, knowledge_root: Path, language: str) -> List[FoldReport]:
    """Fold every mirror file under ``mirror_root`` into its file under ``knowledge_root``."""
    reports = []
    for mirror in sorted(mirror_root.rglob("*.yml")):
        relative = mirror.relative_to(mirror_root)
        target = knowledge_root / relative
        schema = schema_for(relative)
        if schema is None or not target.is_file():
            report = FoldReport(file=str(relative), missing=["(no such knowledge file)"])
            reports.append(report)
            continue
        try:
            text, report = fold_text(
                target.read_text(encoding="utf-8"),
                mirror.read_text(encoding="utf-8"),
                schema,
                language,
            )
        except YAMLError as error:
            reports.append(FoldReport(file=str(relative), missing=[f"(not valid YAML: {error})"]))
            continue
        report.file = str(relative)
        target.write_text(text, encoding="utf-8")
        reports.append(report)
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mirror", type=Path, help="the translators' folder of mirror files")
    parser.add_argument("--language", default=LANGUAGES[1], choices=LANGUAGES[1:])
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    args = parser.parse_args(argv)
    reports = fold_folder(args.mirror, args.knowledge, args.language)
    for report in reports:
        print(f"{report.file}: {report.folded} texts folded")
        for where in report.missing:
            print(f"  not translated: {where}")
        for where in report.ignored:
            print(f"  differs in the mirror, kept as it was: {where}")
    return 1 if any(report.missing for report in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
