"""The folder tree is the architecture: floors of the core, each importing only downwards.

``dealcoach/`` is built in floors, ground floor first; a module may import its own
floor and the floors below, never one above (the knowledge base knows nothing of the
interview that uses it). The core imports neither the Rasa server nor rasa_sdk, nor
the adapters and tooling around it. Imports are read from the source (ast), so an
import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from dealcoach.settings import ROOT

CORE = ROOT / "dealcoach"

#: The floors, ground floor first: a module's floor is that of its longest prefix.
FLOORS: Tuple[Tuple[str, ...], ...] = (
    ("dealcoach", "dealcoach.settings"),
    ("dealcoach.knowledge_base",),
    ("dealcoach.understanding",),
    ("dealcoach.deals", "dealcoach.storage"),
    ("dealcoach.coaching",),
    ("dealcoach.learning",),
    ("dealcoach.serving",),
)
#: Top-level packages the core must never import: Rasa itself, and what sits on the core.
OUTSIDE_THE_CORE = (
    "rasa", "rasa_sdk", "actions", "channels", "nlu_components", "rasa_extensions",
    "testkit", "benchmarks", "tests",
)  # fmt: skip


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def floor_of(module: str) -> int | None:
    best: Tuple[int, int] | None = None  # (prefix length, floor)
    for floor, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + ".") and prefix != "dealcoach":
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), floor)
    return None if best is None else best[1]


def imports(source: str, module: str, is_package: bool) -> Iterator[Tuple[int, str]]:
    """(line, imported module) for every import in the source, relative ones resolved.
    ``from a import b`` gives ``a.b`` when that is a module of the core, else ``a``."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if _is_core_module(candidate) else base


def _is_core_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def problems(path: Path, source: str | None = None) -> List[str]:
    """What is wrong with one module's imports, one sentence each."""
    module = module_name(path)
    own = floor_of(module)
    if own is None:
        return [f"{module} is on no floor: put it in one of the floor packages"]
    found = []
    text = path.read_text() if source is None else source
    for line, target in imports(text, module, path.name == "__init__.py"):
        top = target.split(".")[0]
        where = f"{path.relative_to(ROOT)}:{line}"
        if top in OUTSIDE_THE_CORE:
            found.append(f"{where} imports {target}, outside the core")
        elif top == "dealcoach":
            floor = floor_of(target)
            if floor is not None and floor > own:
                found.append(
                    f"{where}: {module} (floor {own}) imports {target} (floor {floor}), a floor up"
                )
    return found


def core_modules() -> List[Path]:
    return sorted(CORE.rglob("*.py"))


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(CORE)))
def test_no_import_points_up_a_floor_or_out_of_the_core(path):
    assert problems(path) == []


def test_every_package_of_the_core_is_a_floor():
    packages = {module_name(p.parent) for p in CORE.rglob("__init__.py")}
    floors = {prefix for prefixes in FLOORS for prefix in prefixes if prefix != "dealcoach"}
    assert packages - {"dealcoach"} <= floors
    assert {p for p in floors if p != "dealcoach.settings"} <= packages


def test_only_the_settings_sit_beside_the_floors():
    assert sorted(p.name for p in CORE.glob("*.py")) == ["__init__.py", "settings.py"]


def test_the_check_catches_an_import_up_a_floor_and_one_of_rasa():
    loader = CORE / "knowledge_base" / "loader.py"
    upward = "from dealcoach.coaching.conditions import UNKNOWN\n"
    assert "a floor up" in " ".join(problems(loader, upward))
    inside_a_function = "def f():\n    from ..serving import cli\n"
    assert "a floor up" in " ".join(problems(loader, inside_a_function))
    assert "outside the core" in " ".join(problems(loader, "import rasa_sdk\n"))
    assert "outside the core" in " ".join(problems(loader, "from rasa.core import agent\n"))
    assert problems(CORE / "serving" / "cli.py", upward) == []


def test_the_readme_shows_every_floor_of_the_tree():
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    shown = set(re.findall(r"^\s*[│├└─ ]*(\w+)/", layout, re.M))
    packages = {p.parent.name for p in CORE.rglob("__init__.py") if p.parent != CORE}
    assert packages <= shown, f"README's layout leaves out {sorted(packages - shown)}"
    assert "testkit" in shown
