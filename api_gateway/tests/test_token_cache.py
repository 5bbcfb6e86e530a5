"""The in-process token cache and the revocation messages, unit by unit."""

from __future__ import annotations

import json
import time

from gateway.revocation import apply_revocation
from gateway.tokens import TokenCache, TokenIdentity, parse_validation, token_key


def _identity(user_id="u1", jti="j1", issued_at=None, ttl=600, session_id=None):
    return TokenIdentity(
        user_id=user_id,
        role="tenant",
        email="a@example.com",
        jti=jti,
        expires_at=time.time() + ttl,
        issued_at=issued_at,
        session_id=session_id,
    )


def _cache() -> TokenCache:
    cache = TokenCache(max_entries=3, max_age=60)
    cache.enable(fresh=True)
    return cache


def test_a_disabled_cache_neither_answers_nor_stores():
    cache = TokenCache(max_entries=3, max_age=60)
    cache.put("k", _identity(), generation=cache.generation)
    assert (cache.get("k"), len(cache)) == (None, 0)


def test_an_answer_that_raced_a_revocation_is_not_cached():
    cache = _cache()
    generation = cache.generation  # validation starts
    apply_revocation(cache, json.dumps({"jti": "j1", "user_id": "u1"}))  # message arrives meanwhile

    cache.put("k", _identity(), generation=generation)

    assert cache.get("k") is None


def test_revocation_by_jti_and_by_user_with_not_before():
    cache = _cache()
    cache.put("a", _identity(jti="ja", issued_at=100), generation=cache.generation)
    cache.put("b", _identity(jti="jb", issued_at=200), generation=cache.generation)
    cache.put("c", _identity(user_id="u2", jti="jc"), generation=cache.generation)

    apply_revocation(cache, json.dumps({"user_id": "u1", "not_before": 150}))
    assert (cache.get("a"), cache.get("b").jti, cache.get("c").jti) == (None, "jb", "jc")

    apply_revocation(cache, json.dumps({"jti": "jb", "user_id": "u1"}))
    assert (cache.get("b"), cache.get("c").jti) == (None, "jc")


def test_a_session_revocation_evicts_every_token_of_that_session_only():
    cache = _cache()
    cache.put("a", _identity(jti="ja", session_id="s1"), generation=cache.generation)
    cache.put("b", _identity(jti="jb", session_id="s1"), generation=cache.generation)
    cache.put("c", _identity(jti="jc", session_id="s2"), generation=cache.generation)

    apply_revocation(cache, json.dumps({"sid": "s1", "user_id": "u1"}))

    assert (cache.get("a"), cache.get("b"), cache.get("c").jti, len(cache)) == (None, None, "jc", 1)
    cache.evict_session("s2")
    assert (len(cache), cache._by_session, cache._by_jti, cache._by_user) == (0, {}, {}, {})


def test_a_message_naming_several_things_applies_each():
    cache = _cache()
    cache.put("a", _identity(jti="ja", session_id="s1"), generation=cache.generation)
    cache.put("b", _identity(jti="jb", session_id="s2"), generation=cache.generation)
    cache.put("c", _identity(jti="jc", session_id="s3"), generation=cache.generation)

    apply_revocation(cache, json.dumps({"jti": "ja", "sid": "s2", "user_id": "u1"}))

    assert (cache.get("a"), cache.get("b"), cache.get("c").jti) == (None, None, "jc")


def test_entries_live_until_the_earlier_of_expiry_and_max_age():
    cache = TokenCache(max_entries=3, max_age=0.2)
    cache.enable(fresh=True)
    cache.put("short", _identity(ttl=60), generation=cache.generation)
    cache.put("expired", _identity(ttl=-1), generation=cache.generation)

    assert cache.get("short") is not None and cache.get("expired") is None
    time.sleep(0.25)
    assert cache.get("short") is None


def test_the_cache_is_bounded_oldest_first():
    cache = _cache()
    for n in range(4):
        cache.put(f"k{n}", _identity(user_id=f"u{n}", jti=f"j{n}"), generation=cache.generation)

    assert len(cache) == 3
    assert cache.get("k0") is None and cache.get("k3") is not None


def test_the_cache_keys_by_digest_and_parses_both_time_forms():
    assert token_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    parsed = parse_validation(
        {
            "user_id": "u",
            "role": "tenant",
            "email": "e@x.io",
            "jti": "j",
            "expires_at": "2030-01-01T00:00:00Z",
        }
    )
    assert parsed.expires_at == 1893456000.0 and parsed.issued_at is None
    assert (
        parse_validation(
            {"user_id": "u", "role": "r", "jti": "j", "expires_at": 5, "issued_at": 1}
        ).issued_at
        == 1.0
    )
    assert parsed.session_id is None
    assert (
        parse_validation(
            {"user_id": "u", "role": "r", "jti": "j", "expires_at": 5, "session_id": "s"}
        ).session_id
        == "s"
    )
