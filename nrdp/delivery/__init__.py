"""Delivery: which OCA to ask, what to do when a load fails, and resuming on another OCA.

The pure policy is re-exported here (sans-I/O); the I/O shell that drives it is
:class:`nrdp.delivery.downloader.Downloader` (import it from its module).
"""

from nrdp.delivery.oca import Oca, OcaHealth, OcaSelector, OcaSource, OcaState, ocas_from_base_urls
from nrdp.delivery.policy import (
    DefaultLoadErrorPolicy,
    Fallback,
    FallbackOptions,
    FallbackType,
    Fatal,
    LoadErrorDecision,
    LoadErrorInfo,
    LoadErrorPolicy,
    Retry,
)
from nrdp.delivery.reasons import FailureReason, classify
from nrdp.delivery.resume import ByteRange, RangeResume, parse_content_range

__all__ = [
    "ByteRange",
    "DefaultLoadErrorPolicy",
    "FailureReason",
    "Fallback",
    "FallbackOptions",
    "FallbackType",
    "Fatal",
    "LoadErrorDecision",
    "LoadErrorInfo",
    "LoadErrorPolicy",
    "Oca",
    "OcaHealth",
    "OcaSelector",
    "OcaSource",
    "OcaState",
    "RangeResume",
    "Retry",
    "classify",
    "ocas_from_base_urls",
    "parse_content_range",
]
