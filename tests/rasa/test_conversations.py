"""Conversation tests: `rasa test core` on tests/test_stories.yml, failing on any error."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import MODEL, ROOT


def test_stories_pass_with_no_prediction_error(tmp_path):
    rasa = Path(sys.executable).parent / "rasa"
    result = subprocess.run(
        [str(rasa), "test", "core", "--model", str(MODEL), "--stories",
         str(ROOT / "tests" / "test_stories.yml"), "--fail-on-prediction-errors",
         "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text()
    assert "stories: []" in failed or not failed.strip().splitlines()[1:], failed
