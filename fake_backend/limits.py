"""Every resource limit of the backend, named in one place (docs/backend.md, "Limits").

A hostile or broken client must not be able to take the process down by holding
connections, filling caches or guessing passwords; each bound here says what happens at
the limit (close, refuse with a typed error, or wait) so nothing fails open.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

__all__ = ["LoginLimits", "ServerLimits", "descriptor_budget"]


@dataclass(frozen=True)
class ServerLimits:
    """Connection and table limits shared by every listener (gateway, control, OCAs)."""

    header_timeout_s: float = 10.0
    """A connection must deliver a complete request head within this time of opening (or of
    the previous response); else it is closed. Half-open floods end here."""
    keepalive_timeout_s: float = 15.0
    """An idle keep-alive connection is closed after this long without a request."""
    max_conns_per_client: int = 256
    """Open connections one client address may hold on one listener; more are closed at
    once (a player needs a handful per OCA)."""
    listener_share: float = 0.5
    """One listener may hold at most this share of the process's descriptor budget, so a
    flood on one port leaves room for the others (the gateway, control plane, OCAs)."""
    reserved_fds: int = 256
    """Descriptors kept back for files, SQLite, peer fills and logs."""
    listen_backlog: int = 2048
    """Accept queue of each listener (the kernel caps it at net.core.somaxconn). A burst of
    connections beyond it makes the kernel drop SYNs, and every client, not only the
    flooder, waits out a 1 s SYN retransmit."""
    accept_error_log_interval_s: float = 5.0
    """Accept errors (e.g. EMFILE) are logged at most once per interval, with a count."""
    nonce_entries: int = 100_000
    """Nonces remembered; when full of unexpired nonces a signed call is refused with 503
    ``Overloaded`` rather than forgetting a nonce (which would allow a replay)."""
    rate_limit_keys: int = 50_000
    """Token buckets kept; full of active buckets -> 503 ``Overloaded`` for new keys."""


@dataclass(frozen=True)
class LoginLimits:
    """Brute-force protection of ``/auth/v1/login``: token buckets of *failed* logins.

    * per address: ``address_burst`` failures, then one per ``address_refill_s``;
    * per (account, address): ``pair_burst``, then one per ``pair_refill_s``;
    * per account, from devices not already registered to it: ``account_burst``, then one
      per ``account_refill_s`` (a distributed guesser still gets few tries per account).

    When a bucket is empty the login answers 429 ``RateLimited`` with ``Retry-After``
    before the password is checked. No lockout is permanent (buckets refill), and a
    guesser elsewhere cannot lock the real user out: the pair bucket is per address, and
    the account-wide bucket does not apply to a device already registered to the account.
    """

    address_burst: int = 50
    address_refill_s: float = 6.0
    pair_burst: int = 10
    pair_refill_s: float = 30.0
    account_burst: int = 100
    account_refill_s: float = 60.0
    max_keys: int = 100_000


def descriptor_budget(limits: ServerLimits) -> int:
    """Connections one listener may hold: its share of the soft RLIMIT_NOFILE after the
    reserve (so a flood on one port leaves the rest of the budget to the others)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    usable = max(64, soft - limits.reserved_fds)
    return max(16, int(usable * limits.listener_share))
