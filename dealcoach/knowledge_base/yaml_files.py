"""Reading the project's YAML files fast.

The annotated training messages and the evaluation sets are tens of thousands of YAML
lines; PyYAML's pure-Python loader takes about ten times as long over them as its
libyaml binding (100 s against 10 s for ``annotated/`` on a loaded machine), and both
give the same data. The binding ships in PyYAML's wheels; the pure loader stays as the
fallback where it is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | str) -> Any:
    """The data of one YAML file, read with the safe loader (no Python objects)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506
