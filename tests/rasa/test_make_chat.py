"""`make chat`, as a newcomer runs it: the terminal chat starts and answers."""

import os
import subprocess
import time

from tests.conftest import ROOT


def test_make_chat_starts_a_conversation(tmp_path):
    env = {**os.environ, "USER": "test-make-chat", "DEALCOACH_DB": str(tmp_path / "d.db")}
    shell = subprocess.Popen(
        ["make", "--no-print-directory", "chat"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        # The shell reads its first line once the model is loaded; earlier input waits.
        shell.stdin.write("hello\n")
        shell.stdin.flush()
        time.sleep(45)
        output, _ = shell.communicate("/stop\n", timeout=180)
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, 9)
    assert "Hi! I'm dealcoach" in output, output[-3000:]
