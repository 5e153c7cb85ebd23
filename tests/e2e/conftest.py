import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import MODEL, ROOT
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.servers import Servers, free_port


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (make test does it)")
    running = Servers(tmp_path_factory.mktemp("e2e"))
    slack = FakeSlack()
    slack.start()
    running.slack_api_url = slack.url
    running.fake_slack = slack
    try:
        running.start_actions()
        running.start_rasa()
        yield running
    finally:
        running.stop()
        slack.stop()


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """`dealcoach serve` (what `make serve` runs), on free loopback ports, with its defaults
    otherwise (no API token, INFO logs); shared by the browser and safe-defaults tests."""
    yield from serving(tmp_path_factory.mktemp("serve"))


def serving(work, **settings):
    """Runs `dealcoach serve` in ``work`` with these extra environment ``settings`` and
    yields what the tests need to reach it; stops it afterwards."""
    ports = {k: str(free_port()) for k in ("RASA", "ACTION", "WEB")}
    env = {
        **os.environ,
        "DEALCOACH_RASA_PORT": ports["RASA"],
        "DEALCOACH_ACTION_PORT": ports["ACTION"],
        "DEALCOACH_WEB_PORT": ports["WEB"],
        "DEALCOACH_DB": str(work / "deals.db"),
        "DEALCOACH_TRACKER_DB": str(work / "tracker.db"),
        "DEALCOACH_MODEL": str(MODEL),
    }
    for variable in ("SLACK_BOT_TOKEN", "DEALCOACH_WEB_JWT_SECRET", "DEALCOACH_WEB_JWT_PUBLIC_KEY"):
        env.pop(variable, None)
    env.update(settings)
    log = open(work / "serve.log", "ab")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dealcoach"), "serve"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    page = f"http://127.0.0.1:{ports['WEB']}/"
    rasa = f"http://127.0.0.1:{ports['RASA']}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, (work / "serve.log").read_text()[-3000:]
        try:
            urllib.request.urlopen(page, timeout=2)
            urllib.request.urlopen(f"{rasa}/webhooks/rest/", timeout=2)
            answer = urllib.request.urlopen(
                urllib.request.Request(
                    f"{rasa}/webhooks/rest/webhook",
                    data=b'{"sender": "warmup", "message": "hi"}',
                    headers={"Content-Type": "application/json"},
                ),
                timeout=60,
            ).read()
            if b"dealcoach" in answer:
                break
        except (urllib.error.URLError, OSError):
            time.sleep(1)
    yield {
        "page": page,
        "rasa": rasa,
        "ports": {name: int(port) for name, port in ports.items()},
        "web_port": ports["WEB"],
        "process": process,
        "work": work,
    }
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=60)


def pytest_terminal_summary(terminalreporter):
    """The robustness figures (inputs tried, faults survived, load) after the results,
    only for test modules that passed: a figure like "none got through" is a claim."""
    from tests.e2e.checks import figures_to_print

    failed = [
        report.nodeid
        for outcome in ("failed", "error")
        for report in terminalreporter.stats.get(outcome, [])
        if hasattr(report, "nodeid")
    ]
    figures = figures_to_print(failed)
    if figures:
        terminalreporter.section("dealcoach robustness figures")
        for name, text in figures:
            terminalreporter.write_line(f"{name}: {text}")
