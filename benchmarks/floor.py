"""The floor: a bare Rasa assistant (``rasa init``'s moodbot), no custom actions, no spaCy.

It is copied from the scaffold Rasa ships (what ``rasa init`` copies), trained with
``rasa train`` and run with ``rasa run`` in its own folder, with its own
``endpoints.yml`` (in-memory tracker store) and ``credentials.yml`` (REST).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import time
from pathlib import Path
from typing import Optional

from testkit.loopback import (
    RASA,
    free_port,
    http,
    rasa_env,
    spawn,
    stop_process,
    wait_until_answers,
)

#: For the smoke test, where only the path matters: no TensorFlow component to train.
QUICK_CONFIG = """recipe: default.v1
assistant_id: bench_floor_quick
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: KeywordIntentClassifier
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
"""


def scaffold() -> Path:
    """The project ``rasa init`` copies, inside the installed Rasa package."""
    spec = importlib.util.find_spec("rasa")
    assert spec is not None and spec.submodule_search_locations
    return Path(list(spec.submodule_search_locations)[0]) / "cli" / "initial_project"


class Floor:
    """The moodbot in ``folder``: trained by ``train()``, served by ``start()``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.model = self.folder / "models" / "floor.tar.gz"
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        self.spawned_at = 0.0
        self.ready_after = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def train(self, quick: bool = False) -> float:
        """Copy the scaffold and train it; the seconds training took.

        ``quick``: with ``QUICK_CONFIG`` instead of ``rasa init``'s (for the smoke test,
        where only the path matters, not the figures)."""
        shutil.copytree(scaffold(), self.folder, dirs_exist_ok=True)
        if quick:
            (self.folder / "config.yml").write_text(QUICK_CONFIG)
        env = rasa_env(RASA_CACHE_DIRECTORY=str(self.folder / ".rasa" / "cache"))
        started = time.monotonic()
        with open(self.folder / "train.log", "ab") as log:
            subprocess.run(
                [RASA, "train", "--out", "models", "--fixed-model-name", "floor"],
                cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT, check=True,
            )  # fmt: skip
        return time.monotonic() - started

    def start(self) -> None:
        command = [RASA, "run", "--model", str(self.model), "--interface", "127.0.0.1",
                   "--port", str(self.port)]  # fmt: skip
        self.spawned_at = time.monotonic()
        self.process = spawn(command, self.folder, rasa_env(), self.folder / "rasa.log")
        wait_until_answers(f"{self.url}/", self.process, 300, where=str(self.folder))
        self.ready_after = time.monotonic() - self.spawned_at

    def send(self, sender: str, text: str) -> list:
        return http(
            "POST", f"{self.url}/webhooks/rest/webhook", {"sender": sender, "message": text}
        )

    def stop(self) -> None:
        stop_process(self.process)
