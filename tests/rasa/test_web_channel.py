"""The chat page's token check (channels/web.py) with real tokens, signed and forged.

The channel over a real socket.io connection is in tests/e2e/test_web_sign_in.py."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from rasa_sdk import Tracker

from actions.shared import owner_of
from channels.web import SIGNED_IN_CHANNEL, SignInRefused, TokenCheck, WebChatInput

SECRET = "company-sign-in-secret-of-enough-length"
AUDIENCE = "dealcoach"


def token(claims, key=SECRET, algorithm="HS256"):
    return jwt.encode(claims, key, algorithm=algorithm)


def claims(**changes):
    given = {"sub": "bob", "exp": int(time.time()) + 600, "aud": AUDIENCE}
    given.update(changes)
    return {k: v for k, v in given.items() if v is not None}


@pytest.fixture(scope="module")
def rsa_keys():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem.decode()


def test_a_valid_token_gives_its_subject_and_expiry():
    check = TokenCheck(SECRET, "HS256", AUDIENCE)
    given = claims()
    assert check.subject_and_expiry(token(given)) == ("bob", float(given["exp"]))


# Tokens are made when each test runs (lambdas): one made at collection could have
# expired by the time a long suite reaches it, and fail for the wrong reason.
@pytest.mark.parametrize(
    "bad, reason",
    [
        (lambda: None, "no token"),
        (lambda: "", "no token"),
        (lambda: 42, "no token"),
        (lambda: "not.a.jwt", "invalid"),
        (lambda: token(claims(), key="someone-elses-secret-of-enough-len"), "invalid"),
        (lambda: token(claims(exp=int(time.time()) - 5)), "expired"),
        (lambda: token(claims(aud="another-app")), "wrong audience"),
        (lambda: token(claims(aud=None)), "wrong audience"),
        (lambda: token(claims(exp=None)), "no exp"),
        (lambda: token(claims(sub=None)), "no sub"),
        (lambda: token(claims(sub="  ")), "no sub"),
        (lambda: token(claims(), algorithm="none", key=None), "invalid"),
        (lambda: token(claims(), algorithm="HS512"), "invalid"),
    ],
    ids=["none", "empty", "number", "garbage", "forged", "expired", "wrong-aud", "no-aud",
         "no-exp", "no-sub", "blank-sub", "alg-none", "other-alg"],
)  # fmt: skip
def test_every_bad_token_is_refused_with_its_reason(bad, reason):
    with pytest.raises(SignInRefused) as refused:
        TokenCheck(SECRET, "HS256", AUDIENCE).subject_and_expiry(bad())
    assert refused.value.reason == reason


def test_without_an_audience_setting_any_audience_is_accepted():
    check = TokenCheck(SECRET, "HS256")
    assert check.subject_and_expiry(token(claims(aud="whatever")))[0] == "bob"
    assert check.subject_and_expiry(token(claims(aud=None)))[0] == "bob"


def test_rs256_takes_the_providers_tokens_and_not_one_signed_with_its_public_key(rsa_keys):
    private, public_pem = rsa_keys
    check = TokenCheck.from_settings({"jwt_public_key": public_pem, "jwt_audience": AUDIENCE})
    assert check.algorithm == "RS256"
    assert check.subject_and_expiry(token(claims(), private, "RS256"))[0] == "bob"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SignInRefused):
        check.subject_and_expiry(token(claims(), other, "RS256"))
    # The classic confusion: HS256 with the public key as the shared secret (made by
    # hand: PyJWT's encoder refuses a PEM key as an HMAC secret).
    with pytest.raises(SignInRefused):
        check.subject_and_expiry(hs256_by_hand(claims(sub="alice"), public_pem.encode()))


def hs256_by_hand(payload, secret):
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signed = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(payload)
    signature = hmac.new(secret, signed, hashlib.sha256).digest()
    return (signed + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def test_a_public_key_with_escaped_newlines_from_the_environment_works(rsa_keys, monkeypatch):
    private, public_pem = rsa_keys
    monkeypatch.setenv("DEALCOACH_WEB_JWT_PUBLIC_KEY", public_pem.replace("\n", "\\n"))
    monkeypatch.delenv("DEALCOACH_WEB_JWT_SECRET", raising=False)
    check = TokenCheck.from_settings({})
    assert check.subject_and_expiry(token(claims(aud=None), private, "RS256"))[0] == "bob"


def test_settings_choose_the_mode(monkeypatch):
    for variable in ("SECRET", "PUBLIC_KEY", "AUDIENCE"):
        monkeypatch.delenv(f"DEALCOACH_WEB_JWT_{variable}", raising=False)
    assert WebChatInput.from_credentials({"session_persistence": True}).mode == "local"
    monkeypatch.setenv("DEALCOACH_WEB_JWT_SECRET", SECRET)
    channel = WebChatInput.from_credentials({"session_persistence": True})
    assert channel.mode == "signed-in" and channel.token_check.algorithm == "HS256"
    monkeypatch.setenv("DEALCOACH_WEB_JWT_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----")
    with pytest.raises(ValueError, match="not both"):
        WebChatInput.from_credentials({})


def test_a_message_of_the_signed_in_channel_belongs_to_web_and_the_tokens_subject():
    """The channel sends every message of a signed-in socket as its subject on input
    channel ``web``; the actions (through the coach) then own the deals of ``web:<sub>``,
    never those of the same sender id on another channel."""

    def tracker(channel):
        user = {"event": "user", "text": "my deals", "input_channel": channel}
        return Tracker("bob", {}, {"text": "my deals"}, [user], False, None, {}, None)

    assert SIGNED_IN_CHANNEL == "web"
    assert owner_of(tracker(SIGNED_IN_CHANNEL)) == "web:bob"
    assert owner_of(tracker("rest")) == "rest:bob"
