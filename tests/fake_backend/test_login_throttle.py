"""Login brute-force protection: 429 + Retry-After per address and per account, no lasting
lockout of the real user (issue 17 #7: 1,200 wrong passwords got 1,200 x 401 and no 429)."""

from __future__ import annotations

import pytest

from fake_backend.auth.throttle import LoginThrottle
from fake_backend.context import BackendConfig
from fake_backend.errors import RateLimited
from fake_backend.limits import LoginLimits

LIMITS = LoginLimits(
    address_burst=20,
    address_refill_s=1.0,
    pair_burst=3,
    pair_refill_s=10.0,
    account_burst=5,
    account_refill_s=60.0,
)


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


async def _login(http, be, password: str, **extra: str) -> tuple[int, dict[str, str], dict]:
    doc = {"email": be.demo_email, "password": password, **extra}
    async with http.post(be.gateway_url + "/auth/v1/login", json=doc) as r:
        return r.status, dict(r.headers), await r.json()


async def test_wrong_passwords_get_429_with_retry_after_and_no_lasting_lockout(make_backend, http):
    clock = Clock()
    be = await make_backend(config=BackendConfig(login_limits=LIMITS), clock=clock)
    statuses = [(await _login(http, be, f"guess-{i}"))[0] for i in range(8)]
    assert statuses == [401, 401, 401, 429, 429, 429, 429, 429]
    status, headers, doc = await _login(http, be, be.demo_password)
    assert status == 429 and doc["error"]["code"] == 8120  # even the right one, for now
    assert 1 <= int(headers["Retry-After"]) <= 10
    clock.t += int(headers["Retry-After"])  # the bucket refills: no permanent lockout
    status, _, doc = await _login(http, be, be.demo_password)
    assert status == 200 and doc["access_token"]
    # success gives its attempt back: the user can log in again at once
    assert (await _login(http, be, be.demo_password))[0] == 200


def test_a_guesser_elsewhere_cannot_lock_out_a_familiar_device():
    t = LoginThrottle(LIMITS)
    acct = "demo@example.com"
    for i in range(5):  # five addresses, each under its own limits, drain the account
        t.attempt(acct, f"10.0.0.{i}", known_device=False, now=0.0)
    with pytest.raises(RateLimited) as err:
        t.attempt(acct, "10.0.0.99", known_device=False, now=0.0)
    assert err.value.retry_after_s == 60
    # the user's registered device, from yet another address, is not held back
    t.attempt(acct, "192.0.2.7", known_device=True, now=0.0)
    # nor is another account from the guessers' addresses
    t.attempt("other@example.com", "10.0.0.1", known_device=False, now=0.0)


def test_address_limit_spans_accounts():
    t = LoginThrottle(LIMITS)
    for i in range(20):
        t.attempt(f"user{i}@example.com", "10.0.0.1", known_device=False, now=0.0)
    with pytest.raises(RateLimited):
        t.attempt("user99@example.com", "10.0.0.1", known_device=False, now=0.0)
    t.attempt("user99@example.com", "10.0.0.1", known_device=False, now=1.0)  # refilled one
