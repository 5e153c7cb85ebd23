"""What the robustness tests check after the fact: clean server logs, an intact database,
and the figures they report at the end of the run."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

#: Lines that mean a server failed on a message (a stack trace, an error, a crash).
TROUBLE = re.compile(r"Traceback|\bERROR\b|\bCRITICAL\b|Exception")

#: Figures the tests found (name -> (test module, text)), printed after the test summary
#: for the modules whose tests all passed (see ``figures_to_print``).
FIGURES: Dict[str, Tuple[str, str]] = {}


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
    """Record a figure for the end-of-run summary, under the test module reporting it.

    Figures are often reported from a fixture's teardown, which runs whether or not the
    tests passed: the summary leaves out those of a module with a failure."""
    module = sys._getframe(1).f_globals["__name__"]  # the caller's module
    FIGURES[name] = (module, text)


def figures_to_print(failed_nodeids: Iterable[str]) -> List[Tuple[str, str]]:
    """(name, text) of each figure whose module had no failed or erroring test
    (``failed_nodeids``: pytest node ids such as ``tests/e2e/test_x.py::test_y``)."""
    failed = {
        nodeid.split("::")[0].removesuffix(".py").replace("/", ".") for nodeid in failed_nodeids
    }
    return [(name, text) for name, (module, text) in FIGURES.items() if module not in failed]
