"""The open WebSockets of this gateway process, so a socket ends when its
token stops being good, not only at the handshake.

A proxied socket is closed with code 4401 (CLOSE_AUTH_ENDED: "the token is
no longer valid: get a fresh one and reconnect") to the client and to the
service within 2 seconds of:

- its token's revocation (a `jti` message), its session's end (a `sid`
  message: logout, refresh token reuse) or a cutoff for its user (a
  `not_before` message: password change or reset, deactivation), delivered by
  the same revocation subscriber that evicts the token cache
  (gateway.revocation);
- its token's `exp` (a timer per socket).

While the revocation subscription is down (start-up, Redis outage) no message
can arrive, so every open socket's token is validated again with auth_service
about every second (SocketWatch), and once more right after each
resubscription (a revocation published in the gap is lost). Re-validation,
not closing every socket: a Redis blip must not disconnect every chat client
at once, and reconnecting them would cost auth_service the same validations
in a burst. Distinct tokens are validated once per round, a few at a time; a
socket whose token auth_service refuses is closed, one it cannot answer for
stays open (its `exp` still ends it).

A handshake validates its token before its socket is registered, and a
revocation may arrive in between: the registry keeps the last minute of
revocations and applies those that arrived after the handshake's mark
(`mark()` then `open(since=...)`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable

from gateway.background import BackgroundTask
from gateway.revocation import Revocation
from gateway.tokens import AuthUnavailable, InvalidToken, TokenIdentity

logger = logging.getLogger(__name__)

# The close code of a socket whose token is no longer good (revoked, its
# session or its user's tokens ended, or expired): 4000-4999 are the
# application's; 4401 mirrors HTTP 401.
CLOSE_AUTH_ENDED = 4401

# How long revocations are remembered for handshakes still validating (far
# beyond the validation timeout), and at most how many.
RECENT_SECONDS = 60.0
RECENT_MAX = 10_000
# Re-validation while the subscription is down.
REVALIDATE_INTERVAL = 1.0
REVALIDATE_CONCURRENCY = 8


class OpenSocket:
    """One proxied socket: `ended` is set (once) when its token stops being good."""

    __slots__ = ("identity", "token", "ended", "reason", "_timer")

    def __init__(self, *, identity: TokenIdentity, token: str) -> None:
        self.identity = identity
        self.token = token
        self.ended = asyncio.Event()
        self.reason = ""
        self._timer: asyncio.TimerHandle | None = None

    def end(self, reason: str) -> None:
        if not self.ended.is_set():
            self.reason = reason
            self.ended.set()


class SocketRegistry:
    """Open sockets by jti, session and user. Single-threaded (one event loop)."""

    def __init__(self) -> None:
        self._sockets: set[OpenSocket] = set()
        self._by_jti: dict[str, set[OpenSocket]] = {}
        self._by_session: dict[str, set[OpenSocket]] = {}
        self._by_user: dict[str, set[OpenSocket]] = {}
        self._sequence = 0
        self._recent: deque[tuple[int, float, Revocation]] = deque()
        self._forgotten_through = 0  # the newest sequence number no longer in _recent

    def __len__(self) -> int:
        return len(self._sockets)

    def sockets(self) -> list[OpenSocket]:
        return list(self._sockets)

    def mark(self) -> int:
        """Taken before a handshake validates its token (see open)."""
        return self._sequence

    def open(self, *, identity: TokenIdentity, token: str, since: int) -> OpenSocket:
        """Register a socket whose token was validated after `mark()` returned
        `since`; it is ended at once if a revocation that arrived meanwhile
        covers it (or if those are no longer known)."""
        sock = OpenSocket(identity=identity, token=token)
        if since < self._forgotten_through:
            sock.end("token revocations unknown")
        for sequence, _, revocation in reversed(self._recent):  # newest first
            if sequence <= since:
                break
            if revocation.covers(identity):
                sock.end("token revoked")
        delay = identity.expires_at - time.time()
        sock._timer = asyncio.get_running_loop().call_later(
            max(delay, 0.0), sock.end, "token expired"
        )
        self._sockets.add(sock)
        for index, name in self._keys(identity):
            index.setdefault(name, set()).add(sock)
        return sock

    def close(self, sock: OpenSocket) -> None:
        if sock._timer is not None:
            sock._timer.cancel()
            sock._timer = None
        self._sockets.discard(sock)
        for index, name in self._keys(sock.identity):
            members = index.get(name)
            if members is not None:
                members.discard(sock)
                if not members:
                    del index[name]

    def revoke(self, revocation: Revocation) -> None:
        """End every open socket the revocation covers (a RevocationListener)."""
        self._remember(revocation)
        candidates: set[OpenSocket] = set()
        if revocation.jti:
            candidates |= self._by_jti.get(revocation.jti, set())
        if revocation.session_id:
            candidates |= self._by_session.get(revocation.session_id, set())
        if revocation.user_wide and revocation.user_id:
            candidates |= self._by_user.get(revocation.user_id, set())
        for sock in candidates:
            if revocation.covers(sock.identity):
                sock.end("token revoked")

    def _remember(self, revocation: Revocation) -> None:
        self._sequence += 1
        now = time.monotonic()
        self._recent.append((self._sequence, now, revocation))
        while self._recent and (
            len(self._recent) > RECENT_MAX or now - self._recent[0][1] > RECENT_SECONDS
        ):
            self._forgotten_through = self._recent.popleft()[0]

    def _keys(self, identity: TokenIdentity):
        keys = [(self._by_jti, identity.jti), (self._by_user, identity.user_id)]
        if identity.session_id:
            keys.append((self._by_session, identity.session_id))
        return [(index, name) for index, name in keys if name]


class SocketWatch(BackgroundTask):
    """Re-validates the open sockets' tokens while revocations cannot reach
    them (see the module docstring). One task per process."""

    task_name = "socket-watch"

    def __init__(
        self,
        *,
        registry: SocketRegistry,
        validate: Callable,
        subscribed: Callable[[], bool],
        epoch: Callable[[], int],
        interval: float = REVALIDATE_INTERVAL,
    ) -> None:
        self._registry = registry
        self._validate = validate  # async (token, *, request_id) -> TokenIdentity
        self._subscribed = subscribed
        self._epoch = epoch
        self._interval = interval

    async def _run(self) -> None:
        seen_epoch = self._epoch()
        while True:
            await asyncio.sleep(self._interval)
            # Down: no message can arrive. Up again since the last round: the
            # gap may have swallowed one; this round starts after the
            # resubscription, so everything later arrives as a message.
            if self._subscribed() and self._epoch() == seen_epoch:
                continue
            seen_epoch = self._epoch()
            try:
                await self.revalidate()
            except Exception:  # the watch must outlive any single failure
                logger.exception("Re-validating the open WebSockets failed.")

    async def revalidate(self) -> int:
        """Validate every open socket's token once; end those refused. Returns
        how many sockets were ended."""
        by_token: dict[str, list[OpenSocket]] = {}
        for sock in self._registry.sockets():
            if not sock.ended.is_set():
                by_token.setdefault(sock.token, []).append(sock)
        if not by_token:
            return 0
        limit = asyncio.Semaphore(REVALIDATE_CONCURRENCY)
        ended = 0

        async def check(token: str, socks: list[OpenSocket]) -> None:
            nonlocal ended
            async with limit:
                try:
                    await self._validate(token, request_id=f"ws-revalidate-{uuid.uuid4().hex}")
                except InvalidToken:
                    for sock in socks:
                        sock.end("token revoked")
                    ended += len(socks)
                except AuthUnavailable:
                    pass  # cannot tell now: the next round asks again

        await asyncio.gather(*(check(token, socks) for token, socks in by_token.items()))
        return ended
