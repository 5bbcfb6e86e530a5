"""gateway.sockets unit by unit: the registry of open WebSockets, the
revocation messages it applies, and the re-validation watch."""

from __future__ import annotations

import asyncio
import json
import time

from gateway.revocation import apply_revocation, parse_revocation
from gateway.sockets import SocketRegistry, SocketWatch
from gateway.tokens import InvalidToken, TokenCache, TokenIdentity


def _identity(*, user_id="u1", jti="j1", session_id="s1", issued_at=100.0, ttl=600.0):
    return TokenIdentity(
        user_id=user_id,
        role="tenant",
        email="a@example.com",
        jti=jti,
        expires_at=time.time() + ttl,
        issued_at=issued_at,
        session_id=session_id,
    )


def _run(coroutine):
    return asyncio.run(coroutine)


def test_each_kind_of_message_ends_exactly_the_sockets_it_names():
    async def scenario():
        registry = SocketRegistry()
        cache = TokenCache(max_entries=10, max_age=60)
        socks = {
            "a": registry.open(
                identity=_identity(jti="ja", session_id="s1", issued_at=100), token="ta", since=0
            ),
            "b": registry.open(
                identity=_identity(jti="jb", session_id="s1", issued_at=200), token="tb", since=0
            ),
            "c": registry.open(
                identity=_identity(jti="jc", session_id="s2", issued_at=100), token="tc", since=0
            ),
            "d": registry.open(
                identity=_identity(user_id="u2", jti="jd", session_id="s3"), token="td", since=0
            ),
        }

        def ended():
            return sorted(name for name, sock in socks.items() if sock.ended.is_set())

        apply_revocation(cache, json.dumps({"jti": "ja", "user_id": "u1"}), (registry,))
        after_jti = ended()
        apply_revocation(cache, json.dumps({"sid": "s1", "user_id": "u1"}), (registry,))
        after_sid = ended()
        apply_revocation(cache, json.dumps({"user_id": "u1", "not_before": 150}), (registry,))
        after_cutoff = ended()
        apply_revocation(cache, json.dumps({"user_id": "u1"}), (registry,))  # malformed
        for sock in socks.values():
            registry.close(sock)
        return after_jti, after_sid, after_cutoff, ended(), socks["c"].reason, len(registry)

    assert _run(scenario()) == (
        ["a"],
        ["a", "b"],
        ["a", "b", "c"],
        ["a", "b", "c"],
        "token revoked",
        0,
    )


def test_a_revocation_that_arrives_while_the_handshake_validates_still_ends_the_socket():
    async def scenario():
        registry = SocketRegistry()
        since = registry.mark()  # the handshake starts validating
        registry.revoke(parse_revocation(json.dumps({"sid": "s1", "user_id": "u1"})))
        raced = registry.open(identity=_identity(session_id="s1"), token="t", since=since)
        later = registry.open(identity=_identity(session_id="s1"), token="t", since=registry.mark())
        other = registry.open(identity=_identity(session_id="s2"), token="t2", since=since)
        return raced.ended.is_set(), later.ended.is_set(), other.ended.is_set()

    # `later` validated after the revocation: auth_service itself refused it then.
    assert _run(scenario()) == (True, False, False)


def test_a_socket_ends_at_its_tokens_expiry():
    async def scenario():
        registry = SocketRegistry()
        sock = registry.open(identity=_identity(ttl=0.3), token="t", since=0)
        started = time.monotonic()
        await asyncio.wait_for(sock.ended.wait(), 2)
        return sock.reason, time.monotonic() - started

    reason, elapsed = _run(scenario())
    assert reason == "token expired"
    assert 0.2 <= elapsed < 0.6


def test_a_closed_socket_leaves_nothing_behind():
    async def scenario():
        registry = SocketRegistry()
        sock = registry.open(identity=_identity(ttl=0.1), token="t", since=0)
        registry.close(sock)
        await asyncio.sleep(0.2)  # its expiry timer was cancelled
        registry.revoke(parse_revocation(json.dumps({"sid": "s1", "user_id": "u1"})))
        return sock.ended.is_set(), len(registry), registry._by_jti, registry._by_session

    assert _run(scenario()) == (False, 0, {}, {})


class _Validator:
    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.calls: list[str] = []

    async def __call__(self, token: str, *, request_id: str) -> TokenIdentity:
        self.calls.append(token)
        if token in self.refused:
            raise InvalidToken
        return _identity()


def test_the_watch_revalidates_only_while_unsubscribed_and_once_after_resubscribing():
    async def scenario():
        registry = SocketRegistry()
        state = {"subscribed": True, "epoch": 1}
        validator = _Validator(refused=set())
        watch = SocketWatch(
            registry=registry,
            validate=validator,
            interval=0.05,
            subscribed=lambda: state["subscribed"],
            epoch=lambda: state["epoch"],
        )
        shared = [
            registry.open(identity=_identity(jti=f"j{n}"), token="shared", since=0)
            for n in range(3)
        ]
        revoked = registry.open(identity=_identity(jti="jr"), token="revoked", since=0)
        watch.start()
        await asyncio.sleep(0.2)
        calls_while_subscribed = len(validator.calls)

        state["subscribed"] = False
        validator.refused.add("revoked")
        await asyncio.wait_for(revoked.ended.wait(), 1)
        shared_ended = any(sock.ended.is_set() for sock in shared)

        # Back, and a revocation was lost in the gap: one more round finds it.
        validator.refused.add("shared")
        state.update(subscribed=True, epoch=2)
        await asyncio.wait_for(asyncio.gather(*(s.ended.wait() for s in shared)), 1)
        calls = len(validator.calls)
        await asyncio.sleep(0.2)
        await watch.stop()
        return calls_while_subscribed, shared_ended, calls == len(validator.calls), revoked.reason

    assert _run(scenario()) == (0, False, True, "token revoked")


def test_one_validation_per_distinct_token_per_round():
    async def scenario():
        registry = SocketRegistry()
        validator = _Validator(refused=set())
        watch = SocketWatch(
            registry=registry, validate=validator, subscribed=lambda: False, epoch=lambda: 0
        )
        for n in range(5):
            registry.open(identity=_identity(jti=f"j{n}"), token=f"t{n % 2}", since=0)
        ended = await watch.revalidate()
        return ended, sorted(validator.calls)

    assert _run(scenario()) == (0, ["t0", "t1"])
