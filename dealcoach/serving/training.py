"""``dealcoach train`` (the Makefile's model rule): Rasa's training, told in one line.

A first ``make chat`` trains the model, which takes minutes. Rasa's own output is a
wall of library warnings and then silence; a newcomer cannot tell a slow start from a
hung one. Here the training's output goes to a log (``var/train.log``), and the
terminal gets a sentence saying how long it takes and one line that keeps counting,
with the component being trained (from Rasa's "Starting to train component" log
lines). When training fails, the end of the log is shown.

No Rasa import: Rasa trains in a child process.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, TextIO

ANNOUNCE = (
    "Training the coach's model: a few minutes (about 5 on two cores), only when its "
    "training data changed; the details go to {log}."
)
_COMPONENT = re.compile(r"Starting to train component '([^']+)'")
#: How many lines of the log to show when training fails.
FAILURE_TAIL = 30


def rasa_train_command(out: str = "models", name: str = "dealcoach") -> List[str]:
    rasa = str(Path(sys.executable).parent / "rasa")
    return [rasa, "train", "--fixed-model-name", name, "--out", out]


def _elapsed(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def _current_step(log: Path) -> Optional[str]:
    """The component Rasa started training last, from its log."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = _COMPONENT.findall(text)
    return found[-1] if found else None


def run_with_progress(
    command: Sequence[str],
    log: Path,
    announce: str,
    out: TextIO = sys.stdout,
    every: float = 1.0,
    plain_every: float = 60.0,
) -> int:
    """Run ``command`` with its output in ``log``; the terminal sees progress only.

    On a terminal the progress line is rewritten in place every ``every`` seconds;
    elsewhere (a CI log) a line is printed every ``plain_every`` seconds. Returns the
    command's exit status."""
    log.parent.mkdir(parents=True, exist_ok=True)
    print(announce.format(log=log), file=out, flush=True)
    interactive = out.isatty()
    started = time.monotonic()
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    last_plain = started
    try:
        while process.poll() is None:
            time.sleep(every)
            now = time.monotonic()
            step = _current_step(log)
            line = f"  training... {_elapsed(now - started)}" + (f" ({step})" if step else "")
            if interactive:
                out.write("\r\033[K" + line)
                out.flush()
            elif now - last_plain >= plain_every:
                print(line, file=out, flush=True)
                last_plain = now
    except BaseException:
        process.terminate()
        process.wait()
        raise
    finish = "done" if process.returncode == 0 else "failed"
    line = f"  training {finish} after {_elapsed(time.monotonic() - started)}"
    print(("\r\033[K" if interactive else "") + line, file=out, flush=True)
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-FAILURE_TAIL:]
        print("\n".join(tail), file=out)
        print(f"Training failed (exit {process.returncode}); the whole log: {log}", file=out)
    return process.returncode
