"""One place for ports, paths and the model: dealcoach.settings, read by make, serve,
the chat, the deal store, the tests and the benchmarks alike."""

import re
import subprocess
import sys

import yaml

from dealcoach import settings
from dealcoach.serving import serve
from dealcoach.settings import ROOT, SETTINGS, setting
from dealcoach.storage import database_path


def test_defaults_are_the_documented_ones():
    assert setting("host", {}) == "127.0.0.1"
    assert (setting("rasa_port", {}), setting("action_port", {}), setting("web_port", {})) == (
        "5005", "5055", "8080",
    )  # fmt: skip
    assert setting("model", {}) == str(ROOT / "models" / "dealcoach.tar.gz")
    assert setting("db", {}) == str(ROOT / "var" / "dealcoach.db")
    assert setting("tracker_db", {}) == str(ROOT / "var" / "tracker.db")
    assert setting("knowledge", {}) == str(ROOT / "knowledge")


def test_each_setting_is_read_from_its_environment_variable():
    for name, spec in SETTINGS.items():
        assert setting(name, {spec.variable: "/elsewhere/x"}) == "/elsewhere/x"
        assert setting(name, {spec.variable: ""}) == setting(name, {})  # empty: the default


def test_serve_takes_its_ports_and_paths_from_the_settings():
    env = {"DEALCOACH_ACTION_PORT": "6055", "DEALCOACH_MODEL": "/m.tar.gz"}
    conf = serve.settings(env)
    assert (conf["action_port"], conf["model"], conf["rasa_port"]) == ("6055", "/m.tar.gz", "5005")
    assert conf["tracker_db"] == setting("tracker_db", {})


def test_the_deal_store_default_is_the_settings_one(monkeypatch):
    monkeypatch.delenv("DEALCOACH_DB", raising=False)
    assert database_path() == settings.path("db", {})


def test_the_rasa_configuration_files_agree_with_the_settings():
    """endpoints.yml is read by plain ``rasa run``, which knows no dealcoach.settings."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["url"] == (
        f"http://127.0.0.1:{settings.default('action_port')}/webhook"
    )
    assert endpoints["tracker_store"]["db"] == settings.default("tracker_db")


def test_the_printer_make_uses_runs_without_the_project_on_the_path(tmp_path):
    command = [sys.executable, "-I", str(ROOT / "dealcoach" / "settings.py")]
    run = subprocess.run(
        command + ["--default", "model"], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.stdout.strip() == "models/dealcoach.tar.gz"
    env = {"DEALCOACH_ACTION_PORT": "5999", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(command + ["action_port"], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "5999"
    assert subprocess.run(command + ["nonsense"], capture_output=True).returncode == 2


def test_make_reads_the_model_path_and_the_action_port_from_the_settings():
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "DEALCOACH_ACTION_PORT": "5777"}
    make = ["make", "-pnq", "-f", "Makefile", "help"]
    run = subprocess.run(make, cwd=ROOT, capture_output=True, text=True, env=env)
    variables = dict(re.findall(r"^(MODEL|ACTION_PORT) :?= (.*)$", run.stdout, re.M))
    assert variables == {"MODEL": "models/dealcoach.tar.gz", "ACTION_PORT": "5777"}
