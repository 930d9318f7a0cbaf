"""Channels: the playback and discovery planes, each with its own retry policy and breaker.

Only the pure parts exist so far: :mod:`nrdp.channels.retry` and :mod:`nrdp.channels.breaker`.
"""

from nrdp.channels.breaker import BreakerState, CircuitBreaker
from nrdp.channels.retry import Backoff, should_retry

__all__ = ["Backoff", "BreakerState", "CircuitBreaker", "should_retry"]
