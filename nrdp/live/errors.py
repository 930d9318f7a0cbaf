"""Live errors: a UTCTiming source that cannot tell the time (2040-2049)."""

from __future__ import annotations

from mediacore.errors import NetworkError
from nrdp.errors import redact_url

__all__ = ["UtcTimingFailed"]


class UtcTimingFailed(NetworkError):
    """No UTCTiming source gave a usable time (unreachable, bad status, unparsable body)."""

    code = 2040

    def __init__(self, *, source: str, reason: str) -> None:
        safe = redact_url(source)
        super().__init__(f"UTCTiming {safe}: {reason}")
        self.source = safe
        self.reason = reason
