"""Errors of the packaging stage (encryption + MPD), next to the media factory's 8001-8004."""

from __future__ import annotations

from fake_backend.packager.errors import PackagerError

__all__ = ["MissingContentKey"]


class MissingContentKey(PackagerError):
    """A protected title was packaged without a KID or content key for one of its tracks."""

    code = 8005

    def __init__(self, message: str, *, title_id: str, kind: str, kid: str | None = None) -> None:
        super().__init__(message)
        self.title_id = title_id
        self.kind = kind
        self.kid = kid
