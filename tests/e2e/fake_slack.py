"""A fake Slack Web API on loopback that records what the bot posts (Slack's own API is
the one thing outside the project, so it is the one thing faked)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List


class FakeSlack:
    def __init__(self) -> None:
        self.posts: List[Dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    data = json.loads(body or "{}")
                else:
                    data = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
                data["_method"] = self.path.rsplit("/", 1)[-1]
                data["_auth"] = self.headers.get("Authorization")
                fake.posts.append(data)
                answer = json.dumps({"ok": True, "channel": data.get("channel"), "ts": "1.0"})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()

    def wait_for(
        self, condition: Callable[[Dict[str, Any]], bool], timeout: float = 30
    ) -> List[Dict[str, Any]]:
        """The posts matching ``condition``, waiting until there is at least one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [p for p in list(self.posts) if condition(p)]
            if found:
                return found
            time.sleep(0.2)
        return []
