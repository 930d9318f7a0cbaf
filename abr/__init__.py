"""Adaptive bitrate: buffer-based and model-predictive algorithms behind one interface.

Pure library: observations in, decisions out; no I/O, no clock. ``abr.sim`` is the
trace-driven simulator that evaluates the very same algorithm objects the player uses.
The names in ``__all__`` here and in ``abr.sim`` are the public API; the apps use no other.
"""

from abr.base import AbrAlgorithm
from abr.errors import AlgorithmConfigError, TraceFormatError, UnknownAlgorithmError
from abr.registry import create, names
from abr.types import Decision, Ladder, Observation, Phase, Rung, ThroughputSample

__all__ = [
    "AbrAlgorithm",
    "AlgorithmConfigError",
    "Decision",
    "Ladder",
    "Observation",
    "Phase",
    "Rung",
    "ThroughputSample",
    "TraceFormatError",
    "UnknownAlgorithmError",
    "create",
    "names",
]
