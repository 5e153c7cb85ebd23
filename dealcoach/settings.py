"""Ports, paths and the model's location: every setting with a default, in one place.

Each setting is read from its environment variable when set, else it has its default
here. ``make`` reads them through ``python3 dealcoach/settings.py NAME`` (this file runs
on any Python 3 and imports nothing of the project, because make needs the model's
path before the virtualenv exists); ``dealcoach serve``, ``make chat``, the tests and
the benchmarks import it.

    python3 dealcoach/settings.py action_port         5055, or $DEALCOACH_ACTION_PORT
    python3 dealcoach/settings.py --default model     models/dealcoach.tar.gz
    python3 dealcoach/settings.py --all               every setting, NAME=value

Relative paths are relative to the checkout (``ROOT``), whatever the working folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List, Mapping, NamedTuple, Optional

#: The checkout: knowledge/, data/, models/, var/ and the Rasa configuration files.
ROOT = Path(__file__).resolve().parents[1]


class Setting(NamedTuple):
    variable: str
    default: str
    #: A path: a relative value is taken relative to ``ROOT``.
    is_path: bool = False
    what: str = ""


SETTINGS: Dict[str, Setting] = {
    "host": Setting("DEALCOACH_HOST", "127.0.0.1", what="address the servers listen on"),
    "rasa_port": Setting("DEALCOACH_RASA_PORT", "5005", what="Rasa: REST, socket.io, Slack"),
    "action_port": Setting(
        "DEALCOACH_ACTION_PORT", "5055", what="the action server, always on 127.0.0.1"
    ),
    "web_port": Setting("DEALCOACH_WEB_PORT", "8080", what="the chat page"),
    "model": Setting("DEALCOACH_MODEL", "models/dealcoach.tar.gz", True, "the trained model"),
    "db": Setting("DEALCOACH_DB", "var/dealcoach.db", True, "the deal store"),
    "tracker_db": Setting("DEALCOACH_TRACKER_DB", "var/tracker.db", True, "conversations"),
    "knowledge": Setting("DEALCOACH_KNOWLEDGE", "knowledge", True, "the knowledge base"),
}

#: Folders of the checkout that are not settings: logs and databases, trained models.
VAR = ROOT / "var"
MODELS = ROOT / "models"
ANNOTATED = ROOT / "annotated"


def setting(name: str, env: Optional[Mapping[str, str]] = None) -> str:
    """One setting: its environment variable in ``env`` (default: the process's) when
    set and not empty, else its default (a default path under ``ROOT``)."""
    spec = SETTINGS[name]
    environment = os.environ if env is None else env
    value = environment.get(spec.variable)
    if value:
        return value  # as given: a relative path someone set is relative to where they are
    return str(ROOT / spec.default) if spec.is_path else spec.default


def path(name: str, env: Optional[Mapping[str, str]] = None) -> Path:
    """A path setting as a ``Path``."""
    return Path(setting(name, env))


def default(name: str) -> str:
    """A setting's default as written (paths relative to the checkout), for make."""
    return SETTINGS[name].default


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--all"]:
        for name in SETTINGS:
            print(f"{name}={setting(name)}")
        return 0
    if len(args) == 2 and args[0] == "--default" and args[1] in SETTINGS:
        print(default(args[1]))
        return 0
    if len(args) == 1 and args[0] in SETTINGS:
        print(setting(args[0]))
        return 0
    names = ", ".join(SETTINGS)
    print(f"usage: settings.py [--default] NAME | --all   (NAME: {names})", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
