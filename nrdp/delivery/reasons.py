"""Why a load failed, in the few classes the delivery policies reason about.

:func:`classify` is the single place that maps taxonomy errors to a :class:`FailureReason`,
so the load error policy and the OCA selector never disagree about what a failure means.
"""

from __future__ import annotations

import enum

from drm.errors import InvalidKey, InvalidKeySpec, KeyNotFound, UnsupportedScheme
from mediacore.errors import ContainerError, DrmError, LicenseError, SdkError
from nrdp.errors import (
    CircuitOpen,
    ConnectFailed,
    ConnectionReset,
    ConnectTimeout,
    ContentKeyMismatch,
    DecodeFailed,
    DemuxFailed,
    HttpStatusError,
    RangeMismatch,
    ReadTimeout,
    SegmentTimeout,
    StallTimeout,
    ThroughputTooLow,
    TruncatedBody,
)

__all__ = ["FailureReason", "classify"]


class FailureReason(enum.Enum):
    CONNECT = "connect"
    RESET = "reset"
    TIMEOUT = "timeout"
    STALL = "stall"
    HTTP_STATUS = "http-status"
    TRUNCATED = "truncated"
    RANGE = "range"
    SLOW = "slow"
    CORRUPT = "corrupt"
    CIRCUIT = "circuit"
    LICENSE = "license"
    OTHER = "other"


_BY_TYPE: tuple[tuple[type[BaseException], FailureReason], ...] = (
    (ConnectFailed, FailureReason.CONNECT),
    (ConnectTimeout, FailureReason.CONNECT),
    (ConnectionReset, FailureReason.RESET),
    (StallTimeout, FailureReason.STALL),
    (ReadTimeout, FailureReason.TIMEOUT),
    (SegmentTimeout, FailureReason.TIMEOUT),
    (HttpStatusError, FailureReason.HTTP_STATUS),
    (TruncatedBody, FailureReason.TRUNCATED),
    (RangeMismatch, FailureReason.RANGE),
    (ThroughputTooLow, FailureReason.SLOW),
    (CircuitOpen, FailureReason.CIRCUIT),
    # A missing key or an unknown scheme is not damaged data: another copy will not help.
    (KeyNotFound, FailureReason.LICENSE),
    (InvalidKey, FailureReason.LICENSE),
    (InvalidKeySpec, FailureReason.LICENSE),
    (UnsupportedScheme, FailureReason.OTHER),
    (LicenseError, FailureReason.LICENSE),
    (ContentKeyMismatch, FailureReason.LICENSE),
    (DemuxFailed, FailureReason.CORRUPT),
    (DecodeFailed, FailureReason.CORRUPT),
    (ContainerError, FailureReason.CORRUPT),
    (DrmError, FailureReason.CORRUPT),
)


def classify(error: BaseException) -> FailureReason:
    """The reason class of ``error``; anything unknown or foreign is ``OTHER``."""
    if not isinstance(error, SdkError):
        return FailureReason.OTHER
    for klass, reason in _BY_TYPE:
        if isinstance(error, klass):
            return reason
    return FailureReason.OTHER
