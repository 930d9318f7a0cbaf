"""Real network emulation for the headless player and the contest (Linux, root).

The player side runs in its own network namespace; the backend stays in the host namespace
behind a point-to-point link whose downlink rate ``tc`` changes every second along a trace.
See docs/contest.md ("Network emulation") for the topology, the queue limit and the RTT
trade-off.
"""

from apps.headless.netem.errors import NetemUnavailable
from apps.headless.netem.link import EmulatedLink, LinkSpec, open_link
from apps.headless.netem.schedule import queue_limit_bytes, rate_at
from apps.headless.netem.stale import clean_stale

__all__ = [
    "EmulatedLink",
    "LinkSpec",
    "NetemUnavailable",
    "clean_stale",
    "open_link",
    "queue_limit_bytes",
    "rate_at",
]
