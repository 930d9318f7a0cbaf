"""Channels: the playback and discovery planes, each with its own retry policy and breaker.

The pure parts are re-exported here (:mod:`.retry`, :mod:`.breaker`); the I/O shell is
:class:`nrdp.channels.http.Channel` (import it from its module, which pulls in aiohttp).
"""

from nrdp.channels.breaker import BreakerState, CircuitBreaker
from nrdp.channels.retry import Backoff, should_retry

__all__ = ["Backoff", "BreakerState", "CircuitBreaker", "should_retry"]
