import pytest

from tests.conftest import MODEL
from tests.e2e.fake_slack import FakeSlack
from tests.e2e.servers import Servers


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
