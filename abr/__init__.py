"""Adaptive bitrate: buffer-based and model-predictive algorithms behind one interface.

Pure library: observations in, decisions out; no I/O, no clock. ``abr.sim`` is the
trace-driven simulator that evaluates the very same algorithm objects the player uses.
"""

from abr.base import AbrAlgorithm
from abr.registry import create, names
from abr.types import Decision, Ladder, Observation, Phase, Rung, ThroughputSample

__all__ = [
    "AbrAlgorithm",
    "Decision",
    "Ladder",
    "Observation",
    "Phase",
    "Rung",
    "ThroughputSample",
    "create",
    "names",
]
