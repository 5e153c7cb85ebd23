"""What the robustness tests check after the fact: clean server logs, an intact database,
and the figures they report at the end of the run."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Dict, List

#: Lines that mean a server failed on a message (a stack trace, an error, a crash).
TROUBLE = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|Exception")

#: Figures the tests found (name -> text), printed after the test summary.
FIGURES: Dict[str, str] = {}


def troubled_lines(logs: Dict[str, str]) -> List[str]:
    """Each log line (``server: line``) that shows a failure."""
    return [
        f"{server}: {line}"
        for server, text in logs.items()
        for line in text.splitlines()
        if TROUBLE.search(line)
    ]


def integrity(db: Path) -> str:
    """``PRAGMA integrity_check`` of a deal database ("ok" when intact)."""
    connection = sqlite3.connect(str(db), timeout=30)
    try:
        return ", ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def query(db: Path, sql: str, args: tuple = ()) -> List[tuple]:
    connection = sqlite3.connect(str(db), timeout=30)
    try:
        return list(connection.execute(sql, args))
    finally:
        connection.close()


def report(name: str, text: str) -> None:
    """Record a figure for the end-of-run summary."""
    FIGURES[name] = text
