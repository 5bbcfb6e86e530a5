"""The revocation signal auth_service gives the gateway, over Redis (REDIS_URL).

The gateway caches `/internal/validate` answers; this is how it learns, within
2 seconds, that a cached token is no longer good. auth_service only writes and
publishes; the database stays authoritative (`/internal/validate` rejects a
revoked token whether or not Redis heard of it).

Contract (all values UTF-8; user ids and jtis are lowercase UUID strings):

Channel `rentezy:auth:revocations` (PUBLISH, JSON object payloads):

    {"jti": "<uuid>", "user_id": "<uuid>"}
        One access token was revoked (logout). Drop the cached answer whose
        `jti` this is.

    {"sid": "<uuid>", "user_id": "<uuid>"}
        One session ended (logout, refresh token reuse): every access token
        whose `sid` claim (the validation answer's `session_id`) is this one
        is revoked, whenever and by whichever refresh it was minted. Drop
        each cached answer of this session.

    {"user_id": "<uuid>", "not_before": <int unix seconds>}
        Every token of this user issued before `not_before` was revoked
        (password change, password reset, deactivation). Drop each cached
        answer of this user whose `issued_at` is lower than `not_before`
        (dropping all of the user's entries is also correct).

    A message names one of `jti`, `sid` or `not_before`; a consumer that
    meets several applies each. Logout sends two: its access token's jti and
    its session's sid.

Keys (written BEFORE the message is published, in the same pipeline):

    rentezy:auth:revoked:<jti>          = "1"                  EXAT <token exp>
    rentezy:auth:not_before:<user_id>   = "<not_before>"       EXAT <not_before + access lifetime + leeway>
    rentezy:auth:revoked_session:<sid>  = "1"                  EXAT <now + access lifetime + leeway>

    The keys outlive the message: a gateway replica can consult them (for
    example when it fills its cache, or after reconnecting) instead of
    trusting an answer cached while it was not subscribed.

Delivery: Redis pub/sub is at-most-once. A gateway replica must therefore
flush its validation cache whenever its subscription drops and not cache again
until it has resubscribed, and re-validate the tokens of its open WebSockets
meanwhile; with that rule, a message lost to a disconnect cannot leave a
revoked token usable. The signal is sent after the revoking
transaction commits (`transaction.on_commit`); if Redis is unreachable the
failure is logged and the request still succeeds (the gateway's subscription
is then down too, so by the rule above it is not serving from cache).
"""

from __future__ import annotations

import json
import logging
import threading
import time

import redis
from django.conf import settings
from django.db import transaction
from rentezy_platform.redisconf import retrying

logger = logging.getLogger(__name__)

REVOCATIONS_CHANNEL = "rentezy:auth:revocations"
REVOKED_KEY_PREFIX = "rentezy:auth:revoked:"
NOT_BEFORE_KEY_PREFIX = "rentezy:auth:not_before:"
REVOKED_SESSION_KEY_PREFIX = "rentezy:auth:revoked_session:"

# A request must never wait long on the signal: the database already decided.
REDIS_TIMEOUT_SECONDS = 0.5

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def revoked_key(jti: str) -> str:
    return f"{REVOKED_KEY_PREFIX}{jti}"


def not_before_key(user_id: str) -> str:
    return f"{NOT_BEFORE_KEY_PREFIX}{user_id}"


def revoked_session_key(session_id: str) -> str:
    return f"{REVOKED_SESSION_KEY_PREFIX}{session_id}"


def redis_client() -> redis.Redis:
    """One client (connection pool) per process and REDIS_URL."""
    url = settings.REDIS_URL
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                **retrying(),
            )
            _clients[url] = client
        return client


def _message(payload: dict[str, object]) -> str:
    return json.dumps(payload, separators=(",", ":"))


def publish_access_token_revoked(*, jti: str, user_id: str, expires_at: int) -> None:
    """SET the revoked key until the token's expiry, then PUBLISH. Never raises."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        if expires_at > time.time():  # EXAT in the past would only delete the key
            pipe.set(revoked_key(jti), "1", exat=expires_at)
        pipe.publish(REVOCATIONS_CHANNEL, _message({"jti": jti, "user_id": user_id}))
        pipe.execute()
    except redis.RedisError:
        logger.exception("Could not signal the revocation of access token %s", jti)


def publish_user_tokens_revoked(*, user_id: str, not_before: int) -> None:
    """SET the user's not-before key while tokens issued before it can live,
    then PUBLISH. Never raises."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        until = not_before + settings.JWT_ACCESS_TOKEN_LIFETIME + settings.JWT_LEEWAY_SECONDS
        pipe.set(not_before_key(user_id), str(not_before), exat=until)
        pipe.publish(REVOCATIONS_CHANNEL, _message({"user_id": user_id, "not_before": not_before}))
        pipe.execute()
    except redis.RedisError:
        logger.exception("Could not signal the revocation of user %s's tokens", user_id)


def publish_session_revoked(*, session_id: str, user_id: str) -> None:
    """SET the session's key while an access token of it can live (the
    newest one was issued at the latest now), then PUBLISH. Never raises."""
    try:
        pipe = redis_client().pipeline(transaction=False)
        until = int(time.time()) + settings.JWT_ACCESS_TOKEN_LIFETIME + settings.JWT_LEEWAY_SECONDS
        pipe.set(revoked_session_key(session_id), "1", exat=until)
        pipe.publish(REVOCATIONS_CHANNEL, _message({"sid": session_id, "user_id": user_id}))
        pipe.execute()
    except redis.RedisError:
        logger.exception("Could not signal the end of session %s", session_id)


def on_commit_access_token_revoked(*, jti: str, user_id: str, expires_at: int) -> None:
    transaction.on_commit(
        lambda: publish_access_token_revoked(jti=jti, user_id=user_id, expires_at=expires_at)
    )


def on_commit_user_tokens_revoked(*, user_id: str, not_before: int) -> None:
    transaction.on_commit(
        lambda: publish_user_tokens_revoked(user_id=user_id, not_before=not_before)
    )


def on_commit_session_revoked(*, session_id: str, user_id: str) -> None:
    transaction.on_commit(lambda: publish_session_revoked(session_id=session_id, user_id=user_id))
