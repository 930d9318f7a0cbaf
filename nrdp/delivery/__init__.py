"""Delivery: which OCA to ask, what to do when a load fails, and resuming on another OCA.

Pure policy only (sans-I/O); the downloader that drives it joins later.
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
