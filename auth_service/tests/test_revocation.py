"""users/revocation.py: the exact Redis keys and messages the gateway relies on."""

import json
import time
import uuid

import pytest
from users import revocation
from users.revocation import (
    REVOCATIONS_CHANNEL,
    not_before_key,
    publish_access_token_revoked,
    publish_session_revoked,
    publish_user_tokens_revoked,
    redis_client,
    revoked_key,
    revoked_session_key,
)


def test_names_are_the_documented_contract():
    assert REVOCATIONS_CHANNEL == "rentezy:auth:revocations"
    assert revoked_key("abc") == "rentezy:auth:revoked:abc"
    assert not_before_key("u1") == "rentezy:auth:not_before:u1"
    assert revoked_session_key("s1") == "rentezy:auth:revoked_session:s1"


def test_access_token_revocation_sets_the_key_until_expiry_then_publishes(revocations):
    jti, user_id = str(uuid.uuid4()), str(uuid.uuid4())
    expires_at = int(time.time()) + 600

    publish_access_token_revoked(jti=jti, user_id=user_id, expires_at=expires_at)

    assert revocations.messages_for(user_id, count=1) == [{"jti": jti, "user_id": user_id}]
    assert redis_client().get(revoked_key(jti)) == b"1"
    assert redis_client().expiretime(revoked_key(jti)) == expires_at


def test_the_message_is_compact_json():
    jti, user_id = str(uuid.uuid4()), str(uuid.uuid4())
    pubsub = redis_client().pubsub()
    pubsub.subscribe(REVOCATIONS_CHANNEL)
    while (pubsub.get_message(timeout=0.1) or {}).get("type") != "subscribe":
        pass
    publish_access_token_revoked(jti=jti, user_id=user_id, expires_at=int(time.time()) + 60)
    raw = None
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if (
            message
            and message["type"] == "message"
            and json.loads(message["data"]).get("user_id") == user_id
        ):
            raw = message["data"]
            break
    pubsub.close()
    assert raw == f'{{"jti":"{jti}","user_id":"{user_id}"}}'.encode()


def test_user_wide_revocation_sets_the_not_before_key_then_publishes(revocations, settings):
    user_id = str(uuid.uuid4())
    not_before = int(time.time()) + 1

    publish_user_tokens_revoked(user_id=user_id, not_before=not_before)

    assert revocations.messages_for(user_id, count=1) == [
        {"user_id": user_id, "not_before": not_before}
    ]
    assert redis_client().get(not_before_key(user_id)) == str(not_before).encode()
    assert redis_client().expiretime(not_before_key(user_id)) == not_before + 900 + 5


def test_session_revocation_sets_the_session_key_then_publishes(revocations):
    session_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
    before = int(time.time())

    publish_session_revoked(session_id=session_id, user_id=user_id)

    assert revocations.messages_for(user_id, count=1) == [{"sid": session_id, "user_id": user_id}]
    assert redis_client().get(revoked_session_key(session_id)) == b"1"
    # Until the newest access token of the session (issued by now) has expired.
    assert before + 900 + 5 <= redis_client().expiretime(revoked_session_key(session_id))
    assert redis_client().expiretime(revoked_session_key(session_id)) <= int(time.time()) + 905


def test_an_already_expired_token_is_only_published(revocations):
    jti, user_id = str(uuid.uuid4()), str(uuid.uuid4())
    publish_access_token_revoked(jti=jti, user_id=user_id, expires_at=int(time.time()) - 1)
    assert revocations.messages_for(user_id, count=1) == [{"jti": jti, "user_id": user_id}]
    assert redis_client().exists(revoked_key(jti)) == 0


@pytest.mark.parametrize("publish", ["token", "user", "session"])
def test_an_unreachable_redis_is_logged_not_raised(settings, caplog, publish):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    revocation._clients.pop(settings.REDIS_URL, None)
    started = time.monotonic()
    if publish == "token":
        publish_access_token_revoked(jti="j", user_id="u", expires_at=int(time.time()) + 60)
    elif publish == "user":
        publish_user_tokens_revoked(user_id="u", not_before=int(time.time()))
    else:
        publish_session_revoked(session_id="s", user_id="u")
    assert time.monotonic() - started < 2
    assert [r.levelname for r in caplog.records if r.name == "users.revocation"] == ["ERROR"]
