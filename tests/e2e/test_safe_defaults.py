"""Safe defaults: loopback only, the HTTP API only with a token, the action server never
exposed, secrets from the environment only, owner-only files, no deal contents in logs.

Checked on what `make serve` runs (`dealcoach serve` with its defaults, the `served`
fixture) and on the test servers at INFO level."""

import json
import os
import re
import stat
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from dealcoach.serving.serve import rasa_command, settings
from tests.conftest import ROOT
from tests.e2e.servers import API_TOKEN

#: A company and a person no log may ever name.
COMPANY, PERSON, EMPLOYEES = "Quxbridge Zantorium", "Wilhelmina Zarkovsky", "7654321"


def listening_addresses(port):
    """The local addresses with a socket listening on ``port`` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def rest(base, sender, text):
    request = urllib.request.Request(
        f"{base}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_every_server_of_make_serve_listens_on_loopback_only(served):
    for name, port in served["ports"].items():
        addresses = listening_addresses(port)
        assert addresses and addresses <= LOOPBACK, (name, addresses)


def test_loopback_unless_told_otherwise():
    files = {"endpoints": Path("e.yml"), "credentials": Path("c.yml")}
    assert settings({})["host"] == "127.0.0.1"
    command = rasa_command(settings({}), files)
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    told = rasa_command(settings({"DEALCOACH_HOST": "0.0.0.0"}), files)
    assert told[told.index("--interface") + 1] == "0.0.0.0"


def test_rasa_http_api_is_off_without_a_token_and_guarded_with_one(served, servers):
    # make serve's defaults: no token, no API (the channels still answer).
    assert "--enable-api" not in rasa_command(settings({}), {"endpoints": "", "credentials": ""})
    assert status(f"{served['rasa']}/status") in (403, 404)
    assert status(f"{served['rasa']}/conversations/anna/tracker") in (403, 404)
    command = rasa_command(settings({"DEALCOACH_API_TOKEN": "s3cret"}), {"endpoints": "",
                           "credentials": ""})  # fmt: skip
    assert command[command.index("--enable-api") :][:3] == ["--enable-api", "--auth-token",
                                                             "s3cret"]  # fmt: skip
    # With a token (the test servers), nothing without it.
    assert status(f"{servers.url}/status") == 401
    assert status(f"{servers.url}/status?token=wrong") == 401
    assert status(f"{servers.url}/conversations/anna/tracker?token=wrong") == 401
    assert status(f"{servers.url}/status?token={API_TOKEN}") == 200


def test_the_docs_say_never_to_expose_the_action_server():
    readme = (ROOT / "README.md").read_text()
    assert "the action server, always on 127.0.0.1; never expose it" in readme
    assert "never expose it" in (ROOT / "dealcoach" / "serving" / "serve.py").read_text()


def test_secrets_come_from_the_environment_only():
    credentials = (ROOT / "credentials.yml").read_text()
    # Slack's secrets are read from the environment by the channel (channels/slack.py,
    # tested in test_slack.py): the file gives the channel no value at all.
    assert yaml.safe_load(credentials)["channels.slack.DealcoachSlackInput"] is None
    assert settings({"DEALCOACH_API_TOKEN": "from-env"})["api_token"] == "from-env"
    # No tracked file outside the tests holds anything shaped like a secret.
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # Slack tokens (xoxb-1234...), or a secret, token or password written as a value.
    secret_like = re.compile(
        r"xox[abpr]-\d|(?:secret|token|password)\s*[:=]\s*['\"]?[A-Za-z0-9+/_-]{8,}", re.I
    )
    for name in tracked:
        if name.startswith("tests/") or not (ROOT / name).is_file():
            continue
        text = (ROOT / name).read_text(errors="replace")
        assert not secret_like.findall(text), name


def test_databases_are_readable_by_their_owner_only(served):
    # A deal makes the action server open (create) the deal store.
    assert rest(served["rasa"], "rep-perm", '/start_review{"company": "Permco"}')
    work = served["work"]
    files = [p for p in work.iterdir() if p.name.startswith(("deals.db", "tracker.db"))]
    assert {p.name for p in files} >= {"deals.db", "tracker.db"}
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path.name


def test_logs_hold_no_deal_contents_at_info(servers, served):
    for base in (servers.url, served["rasa"]):
        rest(base, "rep-secretive", f'/start_review{{"company": "{COMPANY}"}}')
        rest(base, "rep-secretive", f"{PERSON} is the CFO and makes the final call")
        rest(base, "rep-secretive", f"brief me on {COMPANY}")
        rest(base, "rep-secretive", f"{COMPANY} is a pharma company with {EMPLOYEES} employees")
    logs = servers.logs_since()
    logs["make serve"] = (served["work"] / "serve.log").read_text(errors="replace")
    for name, text in logs.items():
        assert " INFO " in text, f"{name} does not log at INFO"
        for secret in (*COMPANY.split(), *PERSON.split(), EMPLOYEES):
            assert secret not in text, f"{secret!r} in the {name} log"


# (Not with the browser tests: they are skipped where Chromium is missing, this must not be.)
def test_cors_allows_the_pages_origin_only(served):
    def allowed(origin):
        request = urllib.request.Request(
            f"{served['rasa']}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers.get("Access-Control-Allow-Origin")

    own = f"http://127.0.0.1:{served['web_port']}"
    assert allowed(own) == own
    assert allowed("http://evil.example") in (None, "")
