"""Brute-force protection of login: failed attempts drain token buckets (limits.LoginLimits).

Charged before the password hash is computed (a throttled guess costs no scrypt) and
given back when the login succeeds, so only failures count. Pure: time is an argument.
"""

from __future__ import annotations

from fake_backend.errors import RateLimited
from fake_backend.gateway.ratelimit import RateLimit, RateLimiter
from fake_backend.limits import LoginLimits

__all__ = ["LoginThrottle"]


def _limiter(burst: int, refill_s: float, max_keys: int) -> RateLimiter:
    return RateLimiter(RateLimit(rate_per_s=1.0 / refill_s, burst=float(burst)), max_keys)


class LoginThrottle:
    def __init__(self, limits: LoginLimits) -> None:
        self.limits = limits
        self._address = _limiter(limits.address_burst, limits.address_refill_s, limits.max_keys)
        self._pair = _limiter(limits.pair_burst, limits.pair_refill_s, limits.max_keys)
        self._account = _limiter(limits.account_burst, limits.account_refill_s, limits.max_keys)

    def _buckets(
        self, account: str, address: str, known_device: bool
    ) -> list[tuple[RateLimiter, str]]:
        out = [(self._address, address), (self._pair, f"{account}\n{address}")]
        if not known_device:
            out.append((self._account, account))
        return out

    def attempt(self, account: str, address: str, *, known_device: bool, now: float) -> None:
        """Charge one attempt to every bucket that applies (before the password is checked,
        so concurrent guesses cannot all slip through), or 429 ``RateLimited`` with the wait
        if one is empty. ``account`` is the normalized e-mail, known or not (the answer must
        not tell); ``known_device``: the request names a device registered to it."""
        buckets = self._buckets(account, address, known_device)
        wait = max(lim.peek(key, now) for lim, key in buckets)
        if wait > 0:
            raise RateLimited(retry_after_s=RateLimiter.retry_after_header(wait))
        for lim, key in buckets:
            lim.take(key, now)

    def succeeded(self, account: str, address: str, *, known_device: bool, now: float) -> None:
        """Give the attempt back: only failures count."""
        for lim, key in self._buckets(account, address, known_device):
            lim.refund(key, now)
