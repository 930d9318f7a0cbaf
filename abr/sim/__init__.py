"""Trace-driven ABR simulator: virtual time, chunk by chunk, no wall clock.

The names below are the simulator's public API (what the apps may use); the submodules are
implementation.
"""

from abr.sim.linkmodel import LinkModel
from abr.sim.qoe import SessionMetrics, metrics, qoe, qoe_hd, qoe_lin, qoe_log
from abr.sim.simulator import PENSIEVE, SABRE, ChunkRecord, SessionLog, SimConfig, run
from abr.sim.traces import FORMATS, Trace, parse_trace
from abr.sim.video import Video, parse_video_json

__all__ = [
    "FORMATS",
    "PENSIEVE",
    "SABRE",
    "ChunkRecord",
    "LinkModel",
    "SessionLog",
    "SessionMetrics",
    "SimConfig",
    "Trace",
    "Video",
    "metrics",
    "parse_trace",
    "parse_video_json",
    "qoe",
    "qoe_hd",
    "qoe_lin",
    "qoe_log",
    "run",
]
