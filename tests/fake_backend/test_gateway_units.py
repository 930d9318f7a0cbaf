"""Pure gateway pieces: token bucket, circuit breaker, tokens, passwords, TTL cache."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.auth.passwords import hash_password, verify_password
from fake_backend.auth.tokens import TokenSigner
from fake_backend.discovery.cache import TtlCache
from fake_backend.errors import InvalidToken, Overloaded, TokenExpired
from fake_backend.gateway.breaker import BreakerConfig, BreakerState, CircuitBreaker
from fake_backend.gateway.ratelimit import RateLimit, RateLimiter


def test_token_bucket():
    rl = RateLimiter(RateLimit(rate_per_s=2, burst=3))
    assert [rl.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = rl.take("a", 0.0)
    assert wait == pytest.approx(0.5)
    assert rl.take("b", 0.0) == 0.0
    assert rl.take("a", 0.5) == 0.0  # refilled one token
    assert RateLimiter.retry_after_header(0.01) == 1
    assert RateLimiter.retry_after_header(2.2) == 3


def test_rate_limiter_full_table_fails_closed():
    """Regression (issue 17 #10): at max_keys every bucket used to be reset (an attacker
    with many addresses refilled everyone's bucket). Now only refilled buckets are
    forgotten; a table full of live buckets refuses new keys with 503 Overloaded."""
    rl = RateLimiter(RateLimit(rate_per_s=1, burst=2), max_keys=2)
    assert rl.take("a", 0.0) == 0.0 and rl.take("a", 0.0) == 0.0
    assert rl.take("b", 0.0) == 0.0
    with pytest.raises(Overloaded):
        rl.take("c", 0.5)
    assert rl.take("a", 0.5) > 0  # a's drained bucket was not reset
    assert rl.take("c", 2.2) == 0.0  # b refilled (2 s) and was forgotten; a was not
    assert len(rl) == 2 and rl.take("a", 2.2) == 0.0


def test_breaker_cycle():
    b = CircuitBreaker("r", BreakerConfig(failure_threshold=2, reset_timeout_s=10))
    assert b.allow(0)
    b.record_failure(0)
    assert b.state is BreakerState.CLOSED
    b.record_failure(1)
    assert b.state is BreakerState.OPEN and not b.allow(5)
    assert b.retry_after(5) == 6
    assert b.allow(11) and b.state is BreakerState.HALF_OPEN
    assert not b.allow(11)  # one trial at a time
    b.record_failure(11)
    assert b.state is BreakerState.OPEN
    assert b.allow(22)
    b.record_success()
    assert b.state is BreakerState.CLOSED and b.failures == 0


def test_tokens():
    s = TokenSigner(b"k" * 32, "access")
    tok = s.issue({"sub": "a", "dev": "d"}, now=100, ttl_s=10)
    claims = s.verify(tok, now=105)
    assert claims["sub"] == "a" and claims["exp"] == 110
    with pytest.raises(TokenExpired):
        s.verify(tok, now=110)
    with pytest.raises(InvalidToken):
        TokenSigner(b"k" * 32, "playback").verify(tok, now=105)
    with pytest.raises(InvalidToken):
        TokenSigner(b"j" * 32, "access").verify(tok, now=105)
    head, body, mac = tok.split(".")
    for bad in ("", "a.b", f"{head}.{body}x.{mac}", f"v2.{body}.{mac}", "v1.%%%.x", 5, "x" * 5000):
        with pytest.raises(InvalidToken):
            s.verify(bad, now=105)  # type: ignore[arg-type]


def test_passwords():
    h = hash_password("hunter2 ✓")
    assert h.startswith("scrypt$") and "hunter2" not in h
    assert verify_password("hunter2 ✓", h)
    assert not verify_password("hunter3", h)
    assert hash_password("x") != hash_password("x")  # salted
    for broken in ("", "md5$x", "scrypt$a$b$c$d$e", "scrypt$16384$8$1$zz$00"):
        assert not verify_password("x", broken)


def test_ttl_cache():
    c = TtlCache(ttl_s=10)
    assert c.get("a", 0) is TtlCache.MISS
    c.put("home:1", 1, 0)
    c.put("home:2", 2, 0)
    c.put("catalog", 3, 0)
    assert c.get("home:1", 5) == 1
    assert c.get("home:1", 10) is TtlCache.MISS
    assert c.invalidate("home:") == 1
    assert c.get("catalog", 1) == 3


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=120)
    | st.builds(lambda a, b: f"v1.{a}.{b}", st.text(max_size=60), st.text(max_size=60))
)
def test_token_verify_only_raises_typed_errors(token):
    s = TokenSigner(b"k" * 32, "access")
    with pytest.raises((InvalidToken, TokenExpired)):
        s.verify(token, now=0)
