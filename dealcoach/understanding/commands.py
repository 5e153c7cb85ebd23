"""What an explicit command says beyond its intent.

``config.yml`` decides that a message is a command (``CommandIntents``: "rename ...",
"delete the ... deal"); the names a command carries are read here, once, for every
channel. The name recogniser may cut or miss a name ("rename Acme to Acme Corp"
gives "Acme" twice at best), so the rename's own words decide which is which.
"""

from __future__ import annotations

import re
from typing import Sequence, Tuple

from dealcoach.understanding.entity_check import clean_name

#: "rename Acme to Acme Corp", "call the Globex deal as Globex EU", "rename X into Y".
_RENAME = re.compile(
    r"(?:rename|call)\s+(?:the\s+)?(.+?)(?:\s+deal)?\s+(?:to|as|into)\s+(.+?)[.!]*$",
    re.IGNORECASE,
)


def rename_names(text: str, companies: Sequence[str]) -> Tuple[str, str] | None:
    """The old and the new name a rename command gives: from its words when they have
    the command's shape, else the two client names recognised in it; None otherwise."""
    names = [str(name) for name in companies]
    parsed = _RENAME.search(text)
    if parsed:
        names = [clean_name(parsed.group(1)) or "", clean_name(parsed.group(2)) or ""]
    if len(names) != 2 or not all(names):
        return None
    return names[0], names[1]
