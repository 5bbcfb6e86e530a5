"""Bearer tokens: validated by auth_service, cached in-process.

auth_service answers `POST /internal/validate` `{"token": "..."}` (signed by the
gateway as an anonymous caller) with 200 `{"user_id", "role", "email",
"expires_at", "jti", "issued_at"?, "session_id"?}` (unix seconds) or 401. An answer is cached under sha256(token) until
min(expires_at, now + GATEWAY_TOKEN_CACHE_SECONDS), so steady traffic makes no
per-request round trip; gateway.revocation evicts revoked entries at once and
disables the cache whenever it cannot promise that.

A token auth_service refused (401) is remembered by the same digest for
GATEWAY_INVALID_TOKEN_CACHE_SECONDS (10 s; InvalidTokens): a refused token
never becomes valid, so repeating it costs no further round trip. Only 401s
are remembered, never an unavailable auth_service.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from rentezy_platform.trust import gateway_headers

logger = logging.getLogger(__name__)

VALIDATE_PATH = "/internal/validate"


@dataclass(frozen=True, slots=True)
class TokenIdentity:
    user_id: str
    role: str
    email: str
    jti: str
    expires_at: float  # unix seconds
    issued_at: float | None = None  # unix seconds, when auth_service says
    session_id: str | None = None  # the token's session (`sid`), when auth_service says


class InvalidToken(Exception):
    """auth_service refused the token (bad, expired or revoked)."""


class AuthUnavailable(Exception):
    """auth_service could not answer; the request cannot be authenticated now."""


def token_key(token: str) -> str:
    # The cache never holds a token itself, only its digest.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class TokenCache:
    """Identities by token digest, with indexes by jti, session and user for eviction.

    Single-threaded (one event loop), so no locks. `generation` changes on every
    eviction, clear and enable/disable: a validation that started before a
    revocation arrived must not put its (possibly stale) answer in the cache.
    """

    def __init__(self, *, max_entries: int, max_age: float) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self.enabled = False
        self.generation = 0
        self._entries: dict[str, tuple[TokenIdentity, float]] = {}
        self._by_jti: dict[str, set[str]] = {}
        self._by_user: dict[str, set[str]] = {}
        self._by_session: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> TokenIdentity | None:
        if not self.enabled:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        identity, deadline = entry
        if time.time() >= deadline:
            self._remove(key)
            return None
        return identity

    def put(self, key: str, identity: TokenIdentity, *, generation: int) -> None:
        if not self.enabled or generation != self.generation:
            return
        deadline = min(identity.expires_at, time.time() + self.max_age)
        if deadline <= time.time():
            return
        if key not in self._entries and len(self._entries) >= self.max_entries:
            # Oldest insertion first; entries live a minute at most anyway.
            self._remove(next(iter(self._entries)))
        self._entries[key] = (identity, deadline)
        self._by_jti.setdefault(identity.jti, set()).add(key)
        self._by_user.setdefault(identity.user_id, set()).add(key)
        if identity.session_id:
            self._by_session.setdefault(identity.session_id, set()).add(key)

    def evict_jti(self, jti: str) -> None:
        self.generation += 1
        for key in list(self._by_jti.get(jti, ())):
            self._remove(key)

    def evict_session(self, session_id: str) -> None:
        self.generation += 1
        for key in list(self._by_session.get(session_id, ())):
            self._remove(key)

    def evict_user(self, user_id: str, *, not_before: float | None = None) -> None:
        """Every cached token of the user, or those issued before `not_before`
        (an entry without an issue time goes either way)."""
        self.generation += 1
        for key in list(self._by_user.get(user_id, ())):
            issued_at = self._entries[key][0].issued_at
            if not_before is None or issued_at is None or issued_at < not_before:
                self._remove(key)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._by_jti.clear()
        self._by_user.clear()
        self._by_session.clear()

    def enable(self, *, fresh: bool) -> None:
        if fresh:
            self.clear()
        self.generation += 1
        self.enabled = True

    def disable(self) -> None:
        if self.enabled:
            self.generation += 1
        self.enabled = False
        self.clear()

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        identity = entry[0]
        for index, name in (
            (self._by_jti, identity.jti),
            (self._by_user, identity.user_id),
            (self._by_session, identity.session_id),
        ):
            keys = index.get(name) if name is not None else None
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[name]


class InvalidTokens:
    """Digests of tokens auth_service refused, each for `ttl` seconds (bounded:
    the oldest insertion goes first). Single-threaded, like TokenCache."""

    def __init__(self, *, ttl: float, max_entries: int = 50_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._until: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._until)

    def __contains__(self, key: str) -> bool:
        until = self._until.get(key)
        if until is None:
            return False
        if time.monotonic() >= until:
            del self._until[key]
            return False
        return True

    def add(self, key: str) -> None:
        if self.ttl <= 0:
            return
        self._until.pop(key, None)
        if len(self._until) >= self.max_entries:
            del self._until[next(iter(self._until))]
        self._until[key] = time.monotonic() + self.ttl


def _unix_seconds(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("expires_at")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    raise ValueError("expires_at")


def parse_validation(body: object) -> TokenIdentity:
    if not isinstance(body, dict):
        raise ValueError("not an object")
    user_id, role = body.get("user_id"), body.get("role")
    if not isinstance(user_id, str) or not user_id or not isinstance(role, str) or not role:
        raise ValueError("user_id/role")
    return TokenIdentity(
        user_id=user_id,
        role=role,
        email=str(body.get("email") or ""),
        jti=str(body.get("jti") or ""),
        expires_at=_unix_seconds(body.get("expires_at")),
        issued_at=_unix_seconds(body["issued_at"]) if body.get("issued_at") is not None else None,
        session_id=str(body["session_id"]) if body.get("session_id") else None,
    )


class TokenValidator:
    def __init__(
        self,
        *,
        cache: TokenCache,
        auth_url: str,
        signing_key: str,
        timeout: float,
        client_getter,
        invalid_ttl: float = 10.0,
    ) -> None:
        self.cache = cache
        self.invalid = InvalidTokens(ttl=invalid_ttl)
        self._url = auth_url.rstrip("/") + VALIDATE_PATH
        self._key = signing_key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._client = client_getter
        self._inflight: dict[str, asyncio.Future[TokenIdentity]] = {}

    def cached(self, token: str) -> TokenIdentity | None:
        return self.cache.get(token_key(token))

    async def identify(
        self, token: str, *, request_id: str, key: str | None = None
    ) -> TokenIdentity:
        """The identity of a valid token; InvalidToken or AuthUnavailable.
        `key`: token_key(token), when the caller has it already."""
        key = key or token_key(token)
        identity = self.cache.get(key)
        if identity is not None:
            return identity
        if key in self.invalid:
            raise InvalidToken
        if not self.cache.enabled:
            # Bypass mode: every request is validated upstream on its own.
            return await self._validate_or_remember(token, key, request_id)
        # One validation per token at a time: a burst of requests with a new
        # token makes one round trip, not one each. The validation runs as its
        # own task so a caller that goes away does not cancel it for the others.
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(
                self._validate_and_cache(token, key, self.cache.generation, request_id)
            )
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(self, key: str, task: asyncio.Task[TokenIdentity]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved, even when every waiter went away

    async def _validate_and_cache(
        self, token: str, key: str, generation: int, request_id: str
    ) -> TokenIdentity:
        identity = await self._validate_or_remember(token, key, request_id)
        self.cache.put(key, identity, generation=generation)
        return identity

    async def _validate_or_remember(self, token: str, key: str, request_id: str) -> TokenIdentity:
        try:
            return await self._validate(token, request_id=request_id)
        except InvalidToken:
            self.invalid.add(key)
            raise

    async def _validate(self, token: str, *, request_id: str) -> TokenIdentity:
        headers = gateway_headers(
            key=self._key, method="POST", path_with_query=VALIDATE_PATH, request_id=request_id
        )
        headers["Content-Type"] = "application/json"
        body = json.dumps({"token": token}).encode()
        try:
            async with self._client().post(
                self._url,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                payload = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning(
                "Token validation failed: auth_service unreachable (%s).", type(exc).__name__
            )
            raise AuthUnavailable from exc
        if status == 401:
            raise InvalidToken
        if status != 200:
            logger.warning("Token validation failed: auth_service answered %s.", status)
            raise AuthUnavailable
        try:
            return parse_validation(json.loads(payload))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            logger.error("auth_service answered /internal/validate with an unusable body.")
            raise AuthUnavailable from exc
