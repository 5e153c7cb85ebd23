"""The chat page's socket.io channel: Rasa's, plus a signed-in mode for teams.

**Local mode** (no setting below): exactly Rasa's socket.io channel. The browser picks a
random session id, keeps it, and is whoever that id names ("socketio:<session id>").
Right for one person on a laptop.

**Signed-in mode**, switched on by ``DEALCOACH_WEB_JWT_SECRET`` (HS256, a shared secret)
or ``DEALCOACH_WEB_JWT_PUBLIC_KEY`` (RS256, the identity provider's public key in PEM),
with ``DEALCOACH_WEB_JWT_AUDIENCE`` checked when set. Rasa's own ``jwt_key`` checks a
token when the socket connects but then takes the sender from the ``session_id`` each
message names, so a signed-in client could still speak as anyone. Here instead:

* the token (socket.io ``auth: {token}``) is verified when the socket connects:
  signature, algorithm, expiry (``exp`` is required) and audience; a token without a
  ``sub`` is refused too;
* the socket is bound to the token's ``sub`` and every message on it is that
  salesperson's, sender ``<sub>`` on input channel ``web`` (deal owner ``web:<sub>``),
  whatever ``session_id`` the client sends;
* a refused connection gets one sentence (``SIGN_IN_AGAIN``, knowledge/web_page.yml) in
  socket.io's ``connect_error``; nothing is stored or answered;
* when the token expires the socket gets ``EXPIRED`` as a ``sign_in_required`` event
  and is disconnected, and a message arriving after expiry is not processed;
* the bot's answers go to a room per salesperson, so two devices of one person both
  see them; a client cannot join another room (the client's session id is ignored).
  With several Rasa replicas the room spans them through Redis (``shared_rooms``).

Channel name stays ``socketio`` (the URL prefix and local mode's owners are Rasa's as
before); only the signed-in messages carry input channel ``web``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any, Awaitable, Callable, Dict, Optional
from urllib.parse import quote

import jwt
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from dealcoach.knowledge_base.loader import load_web_texts

SECRET_VARIABLE = "DEALCOACH_WEB_JWT_SECRET"
PUBLIC_KEY_VARIABLE = "DEALCOACH_WEB_JWT_PUBLIC_KEY"
AUDIENCE_VARIABLE = "DEALCOACH_WEB_JWT_AUDIENCE"
#: The input channel of signed-in messages: the deal owner is ``web:<sub>``.
SIGNED_IN_CHANNEL = "web"
_TEXTS = load_web_texts()
#: What the page shows when the connection is refused (no, forged, expired token...).
SIGN_IN_AGAIN = _TEXTS.sign_in_again
#: What the page shows when the token runs out during a conversation.
EXPIRED = _TEXTS.sign_in_expired
#: Event that tells the page its sign-in ended (payload ``{"message": ..., "reason": ...}``).
SIGN_IN_REQUIRED_EVENT = "sign_in_required"

logger = logging.getLogger(__name__)


class SignInRefused(Exception):
    """A token that does not make its bearer a signed-in salesperson; ``reason`` says why
    (for the log and the tests; the page shows the same sentence for every reason)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenCheck:
    """Verifies the tokens of the company's sign-in: one key, one algorithm."""

    def __init__(self, key: str, algorithm: str, audience: Optional[str] = None) -> None:
        self.key = key
        self.algorithm = algorithm
        self.audience = audience or None

    @classmethod
    def from_settings(cls, settings: Dict[str, Any]) -> Optional[TokenCheck]:
        """From credentials keys (``jwt_secret``, ``jwt_public_key``, ``jwt_audience``) or
        else the environment; None (local mode) when neither key is given."""

        def setting(key: str, variable: str) -> str:
            return str(settings.get(key) or os.environ.get(variable, "")).strip()

        secret = setting("jwt_secret", SECRET_VARIABLE)
        public_key = setting("jwt_public_key", PUBLIC_KEY_VARIABLE)
        audience = setting("jwt_audience", AUDIENCE_VARIABLE)
        if secret and public_key:
            # Two keys would leave it unclear which sign-in is trusted.
            raise ValueError(f"set {SECRET_VARIABLE} or {PUBLIC_KEY_VARIABLE}, not both")
        if public_key:
            # A key pasted into an environment variable often has its newlines escaped.
            return cls(public_key.replace("\\n", "\n"), "RS256", audience)
        if secret:
            return cls(secret, "HS256", audience)
        return None

    def subject_and_expiry(self, token: Any) -> tuple[str, float]:
        """The token's ``sub`` and ``exp``; ``SignInRefused`` for anything else."""
        if not isinstance(token, str) or not token:
            raise SignInRefused("no token")
        try:
            claims = jwt.decode(
                token,
                self.key,
                # Only the configured algorithm: never "none", never HS256 with a public key.
                algorithms=[self.algorithm],
                audience=self.audience,
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise SignInRefused("expired") from None
        except (jwt.InvalidAudienceError, jwt.MissingRequiredClaimError) as error:
            if isinstance(error, jwt.MissingRequiredClaimError) and error.claim != "aud":
                raise SignInRefused(f"no {error.claim}") from None
            raise SignInRefused("wrong audience") from None
        except jwt.PyJWTError:
            raise SignInRefused("invalid") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 200:
            raise SignInRefused("no sub")
        return subject, float(claims["exp"])


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output, sent to the salesperson's room (all their devices)."""

    async def _send_message(self, socket_id: str, response: Any) -> None:
        await self.sio.emit(self.bot_message_evt, response, room=room_of(socket_id))

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        # The room is ours to choose, never the message's. A custom payload is wrapped in
        # ``data`` as Rasa's own socket.io output wants it (actions/shared.py send_panel).
        await self.sio.emit(
            self.bot_message_evt, json_message.get("data"), room=room_of(recipient_id)
        )


def shared_rooms() -> Optional[AsyncRedisManager]:
    """With several Rasa replicas (the team topology sets ``DEALCOACH_REDIS_HOST``), the
    salesperson's room spans them through Redis: an answer given on one replica reaches
    the person's sockets on the others (a second device is pinned by HAProxy's cookie
    to whichever replica it started on). Without it, rooms stay in this process."""
    host = os.environ.get("DEALCOACH_REDIS_HOST", "").strip()
    if not host:
        return None
    port = os.environ.get("DEALCOACH_REDIS_PORT", "").strip() or "6379"
    database = os.environ.get("DEALCOACH_REDIS_DB", "").strip() or "0"
    password = os.environ.get("DEALCOACH_REDIS_PASSWORD", "")
    login = f":{quote(password, safe='')}@" if password else ""
    return AsyncRedisManager(
        f"redis://{login}{host}:{port}/{database}", channel="dealcoach-web-rooms"
    )


def room_of(subject: str) -> str:
    """The room of a salesperson's sockets; prefixed so that it never is a socket's id."""
    return f"{SIGNED_IN_CHANNEL}:{subject}"


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel in local mode; bound to signed-in salespeople otherwise."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        given = dict(credentials or {})
        channel = super().from_credentials(given)
        channel.token_check = TokenCheck.from_settings(given)  # type: ignore[attr-defined]
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token_check: Optional[TokenCheck] = None
        #: socket id -> (subject, expiry) of every signed-in socket of this process.
        self.signed_in: Dict[str, tuple[str, float]] = {}

    @property
    def mode(self) -> str:
        return "signed-in" if self.token_check else "local"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if self.token_check is None:
            logger.info("Web chat: local mode (the browser's session id is the salesperson).")
            return super().blueprint(on_new_message)
        logger.info("Web chat: signed-in mode (%s tokens).", self.token_check.algorithm)
        return self._signed_in_blueprint(on_new_message, self.token_check)

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        if self.token_check is None or self.sio is None:
            return super().get_output_channel()
        return WebChatOutput(self.sio, self.bot_message_evt)

    def _signed_in_blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], check: TokenCheck
    ) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic", cors_allowed_origins=[], client_manager=shared_rooms()
        )
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio
        namespace = self.namespace

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict] = None) -> bool:
            token = auth.get("token") if isinstance(auth, dict) else None
            try:
                subject, expiry = check.subject_and_expiry(token)
            except SignInRefused as refused:
                logger.info("Web chat: connection refused (%s).", refused.reason)
                raise SocketRefused(SIGN_IN_AGAIN, {"reason": refused.reason}) from None
            self.signed_in[sid] = (subject, expiry)
            # Synchronous in python-socketio < 5.10, which Rasa 3.6 needs (see credentials.yml).
            sio.enter_room(sid, room_of(subject), namespace=namespace)
            sio.start_background_task(end_at_expiry, sid, subject, expiry)
            return True

        async def end_at_expiry(sid: str, subject: str, expiry: float) -> None:
            await asyncio.sleep(max(0.0, expiry - time.time()))
            if self.signed_in.get(sid) == (subject, expiry):
                await end(sid, "expired")

        async def end(sid: str, reason: str) -> None:
            """Tells the page its sign-in ended, then closes its socket."""
            self.signed_in.pop(sid, None)
            await sio.emit(
                SIGN_IN_REQUIRED_EVENT,
                {"message": EXPIRED if reason == "expired" else SIGN_IN_AGAIN, "reason": reason},
                room=sid,
                namespace=namespace,
            )
            await sio.disconnect(sid, namespace=namespace)

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: str) -> None:
            self.signed_in.pop(sid, None)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            # Whatever id the page asks for, its session is the signed-in salesperson.
            signed_in = self.signed_in.get(sid)
            if signed_in is None:
                await end(sid, "not signed in")
                return
            await sio.emit("session_confirm", signed_in[0], room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            signed_in = self.signed_in.get(sid)
            if signed_in is None:
                await end(sid, "not signed in")
                return
            subject, expiry = signed_in
            if time.time() >= expiry:
                await end(sid, "expired")
                return
            data = data if isinstance(data, dict) else {}
            text = data.get("message")
            message = UserMessage(
                text if isinstance(text, str) else "",
                WebChatOutput(sio, self.bot_message_evt),
                subject,
                input_channel=SIGNED_IN_CHANNEL,
                # Nothing the client adds is trusted in signed-in mode.
                metadata=None,
            )
            await on_new_message(message)

        return blueprint
