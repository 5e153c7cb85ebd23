"""``dealcoach serve`` (``make serve``): the Rasa server, the action server and the chat page.

Settings (environment variables, defaults in brackets; all but the Slack secrets, CORS,
the public URL and the token are ``dealcoach.settings``):

    DEALCOACH_HOST          address every server listens on [127.0.0.1]
    DEALCOACH_RASA_PORT     Rasa: REST, socket.io and Slack channels [5005]
    DEALCOACH_ACTION_PORT   the action server; never expose it [5055]
    DEALCOACH_WEB_PORT      the chat page [8080]
    DEALCOACH_CORS_ORIGINS  origins allowed to call Rasa, space-separated
                            [the chat page's own origin]
    DEALCOACH_PUBLIC_URL    the address browsers reach Rasa at [http://HOST:RASA_PORT]
    DEALCOACH_API_TOKEN     enables Rasa's HTTP API, guarded by this token [off]
    DEALCOACH_MODEL         the trained model [models/dealcoach.tar.gz]
    DEALCOACH_DB, DEALCOACH_TRACKER_DB   the deal store and Rasa's conversations
                            [var/dealcoach.db, var/tracker.db]
    SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET   enable the Slack channel when both set
    DEALCOACH_WEB_JWT_SECRET (HS256) or DEALCOACH_WEB_JWT_PUBLIC_KEY (RS256)
                            the chat page's signed-in mode [off: local mode]
    DEALCOACH_WEB_JWT_AUDIENCE  the audience those tokens must name [not checked]

One Ctrl-C (or SIGTERM) stops all three.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional

from dealcoach.knowledge_base.languages import LANGUAGES
from dealcoach.knowledge_base.loader import load_knowledge
from dealcoach.settings import ROOT, VAR, setting

WEB = ROOT / "web"
SOCKET_IO_CLIENT = WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


def settings(env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """What ``make serve`` runs with: ``dealcoach.settings`` and the server-only ones."""
    env = dict(os.environ if env is None else env)
    host = setting("host", env)
    web_port = setting("web_port", env)
    rasa_port = setting("rasa_port", env)
    return {
        "host": host,
        "rasa_port": rasa_port,
        "action_port": setting("action_port", env),
        "web_port": web_port,
        "cors": env.get("DEALCOACH_CORS_ORIGINS", f"http://{host}:{web_port}"),
        "public_url": env.get("DEALCOACH_PUBLIC_URL", f"http://{host}:{rasa_port}"),
        "api_token": env.get("DEALCOACH_API_TOKEN", ""),
        "model": setting("model", env),
        "tracker_db": setting("tracker_db", env),
        "slack": "yes" if env.get("SLACK_BOT_TOKEN") and env.get("SLACK_SIGNING_SECRET") else "",
        "web_sign_in": web_sign_in(env),
    }


def web_sign_in(env: Dict[str, str]) -> str:
    """The chat page's mode as `make serve` announces it ("" for local mode); the socket.io
    channel (channels/web.py) reads the same variables and does the checking."""
    if env.get("DEALCOACH_WEB_JWT_PUBLIC_KEY", "").strip():
        kind = "RS256 tokens"
    elif env.get("DEALCOACH_WEB_JWT_SECRET", "").strip():
        kind = "HS256 tokens"
    else:
        return ""
    audience = env.get("DEALCOACH_WEB_JWT_AUDIENCE", "").strip()
    return kind + (f", audience {audience}" if audience else "")


def credentials_text(with_slack: bool) -> str:
    """credentials.yml, without its Slack section when Slack is not configured."""
    text = (ROOT / "credentials.yml").read_text(encoding="utf-8")
    if with_slack:
        return text
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("channels.slack."):
            skipping = True
        elif skipping and line and not line.startswith((" ", "#")):
            skipping = False
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n"


def write_config(conf: Dict[str, str], folder: Path) -> Dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    endpoints = folder / "endpoints.serve.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{conf["action_port"]}/webhook"\n'
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {conf['tracker_db']}\n"
    )
    credentials = folder / "credentials.serve.yml"
    credentials.write_text(credentials_text(bool(conf["slack"])))
    return {"endpoints": endpoints, "credentials": credentials}


def rasa_command(conf: Dict[str, str], files: Dict[str, Path]) -> List[str]:
    rasa = str(Path(sys.executable).parent / "rasa")
    command = [
        rasa, "run", "--model", conf["model"], "--endpoints", str(files["endpoints"]),
        "--credentials", str(files["credentials"]), "--interface", conf["host"],
        "--port", conf["rasa_port"], "--cors", *conf["cors"].split(),
    ]  # fmt: skip
    if conf["api_token"]:
        # The HTTP API can change any conversation: never without a token.
        command += ["--enable-api", "--auth-token", conf["api_token"]]
    return command


class _PageHandler(SimpleHTTPRequestHandler):
    """The chat page's files, its settings and the vendored socket.io client."""

    page_config = "{}"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.split("?")[0] == "/config.js":
            body = f"window.DEALCOACH = {self.page_config};\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path.split("?")[0] == "/vendor/socket.io.min.js":
            self.path = "/node_modules/socket.io-client/dist/socket.io.min.js"
        elif self.path.startswith("/node_modules/"):
            self.send_error(404)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, *args: object) -> None:
        pass


def page_texts() -> Dict[str, Dict[str, str]]:
    """The chat page's own words in every language (``page_*`` of knowledge/phrases.yml
    and the sign-in sentences of knowledge/web_page.yml), by language: the page shows
    those of the salesperson's language once it knows it, of the browser's before
    (web/chat.js)."""
    kb = load_knowledge()
    texts = {}
    for language in LANGUAGES:
        view = kb.in_language(language)
        texts[language] = {
            name[len("page_") :]: text
            for name, text in view.phrases.items()
            if name.startswith("page_")
        }
        texts[language]["sign_in_again"] = view.web.sign_in_again
        texts[language]["sign_in_expired"] = view.web.sign_in_expired
    return texts


def page_server(conf: Dict[str, str]) -> ThreadingHTTPServer:
    handler = type(
        "PageHandler",
        (_PageHandler,),
        {
            "page_config": json.dumps(
                {
                    "socketUrl": conf["public_url"],
                    "signIn": bool(conf.get("web_sign_in")),
                    "text": page_texts(),
                }
            )
        },
    )
    return ThreadingHTTPServer(
        (conf["host"], int(conf["web_port"])), functools.partial(handler, directory=str(WEB))
    )


def serve() -> int:
    conf = settings()
    if not Path(conf["model"]).is_file():
        print(f"dealcoach: no trained model at {conf['model']} (run `make train`)", file=sys.stderr)
        return 1
    if not SOCKET_IO_CLIENT.is_file():
        print("dealcoach: web/node_modules missing (run `make serve`)", file=sys.stderr)
        return 1
    # Everything the servers create (conversations in the tracker store, logs, the
    # config with its paths) is readable by its owner only, like the deal store.
    os.umask(0o077)
    files = write_config(conf, VAR)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    actions = subprocess.Popen(
        [str(Path(sys.executable).parent / "rasa"), "run", "actions",
         "--port", conf["action_port"], "--actions", "actions"],
        cwd=ROOT, env={**env, "SANIC_HOST": "127.0.0.1"},
    )  # fmt: skip
    rasa = subprocess.Popen(rasa_command(conf, files), cwd=ROOT, env=env)
    page = page_server(conf)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    print(f"Chat page: http://{conf['host']}:{conf['web_port']}/", flush=True)
    print(f"REST: POST http://{conf['host']}:{conf['rasa_port']}/webhooks/rest/webhook", flush=True)
    if conf["web_sign_in"]:
        print(
            f"Web chat: signed-in mode ({conf['web_sign_in']}): a page is its token's salesperson"
        )
    else:
        print(
            "Web chat: local mode (single user; set DEALCOACH_WEB_JWT_SECRET or "
            "DEALCOACH_WEB_JWT_PUBLIC_KEY for signed-in salespeople)"
        )
    print(
        "Slack: "
        + ("on" if conf["slack"] else "off (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)")
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set() and actions.poll() is None and rasa.poll() is None:
        stop.wait(0.5)
    page.shutdown()
    for process in (rasa, actions):
        if process.poll() is None:
            process.terminate()
    for process in (rasa, actions):
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    time.sleep(0.1)
    return 0
