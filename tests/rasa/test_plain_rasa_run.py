"""Plain `rasa run` starts with the checkout's own credentials.yml and endpoints.yml and no
secret set, as a Rasa user's first try would, and answers over REST (issue 14, item 6).

Run in a folder of its own holding those files unchanged, as tracked in git (their
relative paths, such as the tracker store's var/tracker.db, land there and not in the
checkout), with
the project importable as from the checkout. Slack is off without its variables: its
webhook is not served and the log says so in one line."""

import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from testkit.loopback import RASA, free_port, http, rasa_env, wait_until_answers
from tests.conftest import MODEL, ROOT


@pytest.fixture(scope="module")
def plain_rasa(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    work = tmp_path_factory.mktemp("plain-rasa")
    # var/ is in a fresh checkout through its .gitignore: the tracker store's folder.
    for name in ("credentials.yml", "endpoints.yml", "var/.gitignore"):
        (work / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, work / name)
    env = rasa_env(PYTHONPATH=str(ROOT), LOG_LEVEL="INFO")
    for secret in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DEALCOACH_API_TOKEN"):
        env.pop(secret, None)
    port = free_port()
    log = open(work / "rasa.log", "wb")
    # `rasa run` with its defaults: credentials.yml and endpoints.yml of the folder.
    process = subprocess.Popen(
        [RASA, "run", "--model", str(MODEL), "--interface", "127.0.0.1", "--port", str(port)],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_until_answers(f"http://127.0.0.1:{port}/", process, 300, where=str(work / "rasa.log"))
        yield {"url": f"http://127.0.0.1:{port}", "log": work / "rasa.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_rasa_run_answers_over_rest_with_no_secret_set(plain_rasa):
    replies = http(
        "POST",
        f"{plain_rasa['url']}/webhooks/rest/webhook",
        {"sender": "first-try", "message": "hi"},
    )
    assert any("I'm dealcoach" in (r.get("text") or "") for r in replies), replies


def test_slack_is_off_without_its_secrets_and_says_so_once(plain_rasa):
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{plain_rasa['url']}/webhooks/slack/webhook", timeout=10)
    assert refused.value.code == 404
    log = plain_rasa["log"].read_text(errors="replace")
    assert log.count("Slack channel off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET") == 1
    assert "Error when trying to expand the environment variables" not in log
    assert "Could not create tables" not in log  # the tracker store's folder exists
