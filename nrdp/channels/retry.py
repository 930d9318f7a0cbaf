"""Retry timing and the retry decision of a channel (shaka ``lib/net/backoff.js``).

The delay before retry ``n`` (1-based) is ``min(max_delay, base_delay * factor**(n-1))``
scaled by a uniform fuzz in ``[1 - fuzz, 1 + fuzz]`` so that many clients do not retry in
lockstep. The randomness comes from an injected :class:`random.Random`, so tests (and the
simulator) are deterministic. Nothing here sleeps: the I/O shell waits for the delay.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from mediacore.errors import SdkError
from nrdp.config import RetryPolicy
from nrdp.errors import CircuitOpen, InvalidArgument

__all__ = ["Backoff", "should_retry"]


def should_retry(error: BaseException, attempt: int, policy: RetryPolicy) -> bool:
    """Whether ``attempt`` (1-based, the one that just failed with ``error``) gets a successor.

    Only our own errors marked ``retriable`` are retried; foreign exceptions must be mapped
    at the boundary first. An open circuit is never retried here: the breaker already
    decided when the channel may be tried again.
    """
    if attempt < 1:
        raise InvalidArgument("attempts are counted from 1", argument="attempt")
    if attempt >= policy.max_attempts:
        return False
    if isinstance(error, CircuitOpen):
        return False
    return isinstance(error, SdkError) and error.retriable


class Backoff:
    """Delays between attempts for one :class:`RetryPolicy`."""

    __slots__ = ("_policy", "_rng")

    def __init__(self, policy: RetryPolicy, rng: random.Random | None = None) -> None:
        self._policy = policy
        self._rng = rng if rng is not None else random.Random()

    @property
    def policy(self) -> RetryPolicy:
        return self._policy

    def nominal(self, retry: int) -> float:
        """The delay before retry ``retry`` (1-based) without fuzz."""
        if retry < 1:
            raise InvalidArgument("retries are counted from 1", argument="retry")
        p = self._policy
        # Cap the exponent first: factor**retry overflows floats long before max_delay.
        delay = p.base_delay
        for _ in range(retry - 1):
            delay *= p.factor
            if delay >= p.max_delay:
                return p.max_delay
        return min(delay, p.max_delay)

    def delay(self, retry: int) -> float:
        """The fuzzed delay before retry ``retry``: within ``nominal * (1 ± fuzz)``."""
        nominal = self.nominal(retry)
        fuzz = self._policy.fuzz
        return nominal * (1.0 + self._rng.uniform(-fuzz, fuzz))

    def delays(self) -> Iterator[float]:
        """The delays of every retry the policy allows (``max_attempts - 1`` of them)."""
        for retry in range(1, self._policy.max_attempts):
            yield self.delay(retry)

    def next_delay(self, error: BaseException, attempt: int) -> float | None:
        """The delay before the next attempt, or ``None`` when ``error`` ends the request."""
        if not should_retry(error, attempt, self._policy):
            return None
        return self.delay(attempt)

    def __repr__(self) -> str:
        return f"Backoff({self._policy!r})"
