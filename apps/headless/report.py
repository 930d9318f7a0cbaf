"""The machine-readable results: session reports (JSON), QoE, JUnit XML, the summary table.

QoE uses ``abr.sim.qoe`` on a ``SessionLog`` built from the video segments actually
downloaded, so a live session and a simulated one are scored by the same code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from abr.sim import ChunkRecord, SessionLog, metrics
from apps.headless.frames import check_frames
from apps.headless.options import echo
from apps.headless.session import PlaySession

__all__ = [
    "REPORT_VERSION",
    "Assertion",
    "CaseResult",
    "frames_complete",
    "frames_message",
    "qoe_of",
    "realtime_fields",
    "session_report",
    "write_json",
    "write_junit",
]

REPORT_VERSION = 1


def _ladder_base(session: PlaySession) -> float | None:
    """The lowest video rung in kbit/s (QoE_log's reference): seen at rung 0, else the
    title's lowest catalog rendition."""
    low = [s.bitrate_kbps for s in session.segments if s.track == "video" and s.rung == 0]
    if low:
        return low[0]
    rends = (session.details or {}).get("renditions") or []
    kbps = [float(r["bitrate_kbps"]) for r in rends if r.get("kind") == "video"]
    return min(kbps) if kbps else None


def qoe_of(session: PlaySession) -> dict[str, Any] | None:
    """QoE_lin/log/hd per chunk (``abr.sim.qoe``) of the video segments downloaded."""
    video = [s for s in session.segments if s.track == "video"]
    st = session.stats
    if not video or st is None:
        return None
    base = _ladder_base(session) or min(s.bitrate_kbps for s in video)
    chunks = tuple(
        ChunkRecord(
            index=i,
            rung=s.rung,
            bitrate_kbps=s.bitrate_kbps,
            bytes=s.bytes,
            request_s=max(0.0, s.t - s.download_s),
            ttfb_s=s.ttfb_s,
            transfer_s=max(0.0, s.download_s - s.ttfb_s),
            rebuffer_s=0.0,
            buffer_s=s.buffer_s,
            wait_s=0.0,
            reason="",
        )
        for i, s in enumerate(video)
    )
    startup = st.startup_time or 0.0
    log = SessionLog(
        algorithm=session.options.abr or "default",
        trace="live",
        chunks=chunks,
        startup_s=startup,
        rebuffer_s=st.stall_time,
        play_s=st.playing_time,
        wall_s=startup + st.stall_time + st.playing_time,
        segment_duration_s=0.0,
        bitrates_kbps=(min(base, *(c.bitrate_kbps for c in chunks)),),
    )
    m = metrics(log)
    return {
        "qoe_lin": round(m.qoe_lin, 4),
        "qoe_log": round(m.qoe_log, 4),
        "qoe_hd": round(m.qoe_hd, 4),
        "bitrate_kbps": round(m.bitrate_kbps, 1),
        "rebuffer_s": round(m.rebuffer_s, 3),
        "rebuffer_ratio": round(m.rebuffer_ratio, 5),
        "switches": m.switches,
        "startup_s": round(m.startup_s, 4),
    }


def _error_codes(errors: Iterable[dict[str, Any]]) -> list[int]:
    return [int(e["code"]) for e in errors if isinstance(e.get("code"), int)]


def session_report(session: PlaySession) -> dict[str, Any]:
    """The documented report of one playback (docs/headless.md, "Report JSON")."""
    st = session.stats
    video = [s for s in session.segments if s.track == "video"]
    duration = (session.details or {}).get("duration_s", session.media_duration)
    if session.live:  # the catalog's duration is the channel's loop; the event's end counts
        duration = session.media_duration
    fd = session.sink.frame_duration
    skipped = round(session.skipped_video_s / fd) if fd else 0
    frames = check_frames(
        session.sink,
        title_duration=float(duration) if isinstance(duration, int | float) else None,
        ended=session.final_state == "ended",
        dropped=(st.dropped_frames if st is not None else 0) + skipped,
    )
    pm = session.player.manifest
    startup = st.startup_time if st is not None else None
    frame_fields: dict[str, Any] = frames.to_dict()
    if not session.options.decode:  # nothing was decoded: no frame ids, no pixels to hash
        frame_fields = dict.fromkeys(frame_fields)
    out: dict[str, Any] = {
        "version": REPORT_VERSION,
        "title": session.options.title,
        "playback_id": pm.playback_id if pm is not None else None,
        "cell": pm.experiment_cell if pm is not None else None,
        "abr": session.options.abr or (pm.abr_algorithm if pm is not None else None),
        "speed": "realtime" if session.options.realtime else "fast",
        "start_s": session.options.start or 0.0,
        "options": echo(session.options),
        "title_duration_s": duration,
        "state": session.final_state,
        "timed_out": session.timed_out,
        "position_s": round(session.position, 3),
        "decoded": session.options.decode,
        **frame_fields,
        "frames_presented": getattr(st, "presented_frames", 0) if st is not None else 0,
        "frames_dropped": st.dropped_frames if st is not None else 0,
        "video_hash": session.sink.summary()["video_hash"] if session.options.decode else None,
        "audio_frames": session.sink.audio_frames,
        "startup_ms": round(startup * 1000.0, 1) if startup is not None else None,
        "first_frame_s": _first_frame_s(session),
        "stall_count": st.stall_count if st else 0,
        "stall_s": round(st.stall_time, 3) if st else 0.0,
        "rebuffer_ratio": round(st.rebuffer_ratio, 5) if st else 0.0,
        "avg_bitrate_kbps": (
            round(sum(s.bitrate_kbps for s in video) / len(video), 1) if video else 0.0
        ),
        "periods_played": session.periods_played,
        **live_fields(session),
        "switches": st.switch_count if st else 0,
        "failovers": st.oca_failovers if st else 0,
        "bytes_downloaded": st.bytes_downloaded if st else 0,
        "ocas": sorted({s.oca for s in session.segments}),
        "errors": _error_codes(session.errors),
        "error_details": session.errors,
        "qoe": qoe_of(session),
        "segments": [s.to_dict() for s in session.segments],
        "stalls": [{"start": a, "end": b} for a, b in session.stalls],
        **realtime_fields(session),
        "events": session.events,
        "timeline": session.timeline,
    }
    return out


def live_fields(session: PlaySession) -> dict[str, Any]:
    """``live`` and, for a live source, ``live_latency_s`` (median, p95 of the distance to
    the live edge while playing), ``mpd_refreshes``, ``edge_jumps``, ``segments_skipped``
    (null for on-demand)."""
    st = session.stats
    if not session.live or st is None:
        return dict.fromkeys(LIVE_FIELDS) | {"live": False}
    latency = st.live_latency_s
    return {
        "live": True,
        "live_latency_s": (
            {k: None if v is None else round(v, 3) for k, v in latency.items()}
            if latency is not None
            else None
        ),
        "mpd_refreshes": st.mpd_refreshes,
        "edge_jumps": st.edge_jumps,
        "segments_skipped": st.segments_skipped,
    }


LIVE_FIELDS = ("live", "live_latency_s", "mpd_refreshes", "edge_jumps", "segments_skipped")


def frames_complete(report: dict[str, Any]) -> bool:
    """Every expected frame was shown, or skipped by the SDK as too late for its slot (real
    time on a busy machine): ``frames_decoded + frames_dropped == frames_expected > 0``."""
    shown, expected = report.get("frames_decoded"), report.get("frames_expected")
    if not isinstance(shown, int) or not isinstance(expected, int) or shown <= 0:
        return False
    return shown + int(report.get("frames_dropped") or 0) == expected


def frames_message(report: dict[str, Any]) -> str:
    dropped = report.get("frames_dropped") or 0
    late = f" (+{dropped} dropped late)" if dropped else ""
    return f"frames decoded {report.get('frames_decoded')}{late} of {report.get('frames_expected')}"


REALTIME_SLACK_S = 0.5
"""Lag behind the wall clock a real-time session may build up and still count as kept."""
MAX_DROPPED_SHARE = 0.01
"""Share of video frames that may miss their slot (dropped late) in a kept session."""


def realtime_fields(session: PlaySession) -> dict[str, Any]:
    """Did the playhead keep up with the wall clock? ``lag`` = wall seconds since the first
    frame minus media seconds played; a real-time session kept up when the lag stayed
    under ``REALTIME_SLACK_S`` + 2 % (stalls and a slow loop add to it) and at most
    ``MAX_DROPPED_SHARE`` of the frames missed their slot.
    ``None`` for ``fast`` sessions (no real-time target) or one that never started."""
    st = session.stats
    wall = (
        session.wall_end - session.wall_start
        if session.wall_start is not None and session.wall_end is not None
        else None
    )
    played = max(0.0, session.position - session.origin)
    out: dict[str, Any] = {
        "wall_s": round(wall, 3) if wall is not None else None,
        "played_s": round(played, 3),
        "realtime_lag_s": None,
        "kept_realtime": None,
    }
    if wall is None or st is None or st.startup_time is None or not session.options.realtime:
        return out
    lag = wall - st.startup_time - played
    shown = getattr(st, "presented_frames", 0) + st.dropped_frames
    out["realtime_lag_s"] = round(lag, 3)
    out["kept_realtime"] = (
        played > 0
        and lag <= REALTIME_SLACK_S + 0.02 * played
        and st.dropped_frames <= MAX_DROPPED_SHARE * shown
    )
    return out


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(doc), indent=2, sort_keys=False) + "\n")


@dataclass(frozen=True)
class Assertion:
    name: str
    passed: bool
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "message": self.message,
            "line": self.line,
        }


@dataclass
class CaseResult:
    """One scenario (or one play command) as a JUnit test suite."""

    name: str
    file: str | None
    assertions: list[Assertion] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    sessions: list[dict[str, Any]] = field(default_factory=list)
    discovery: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(not a.passed for a in self.assertions)

    @property
    def status(self) -> str:
        return "error" if self.error else ("failed" if self.failed else "passed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": self.file,
            "status": self.status,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "assertions": [a.to_dict() for a in self.assertions],
            "discovery": self.discovery,
            "sessions": self.sessions,
        }


def write_junit(path: Path, cases: Sequence[CaseResult], suite_name: str = "headless") -> None:
    """JUnit XML: one ``<testsuite>`` per case, one ``<testcase>`` per assertion (plus one
    erroring ``run`` test case when the scenario itself could not run)."""
    root = ET.Element("testsuites", name=suite_name)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for case in cases:
        tests = len(case.assertions) + (1 if case.error else 0)
        failures = sum(1 for a in case.assertions if not a.passed)
        errors = 1 if case.error else 0
        suite = ET.SubElement(
            root,
            "testsuite",
            name=case.name,
            tests=str(tests),
            failures=str(failures),
            errors=str(errors),
            skipped="0",
            time=f"{case.seconds:.3f}",
        )
        if case.file:
            suite.set("file", case.file)
        for a in case.assertions:
            tc = ET.SubElement(suite, "testcase", classname=case.name, name=a.name, time="0")
            if not a.passed:
                ET.SubElement(tc, "failure", message=a.message, type="AssertionFailed")
        if case.error:
            tc = ET.SubElement(suite, "testcase", classname=case.name, name="run", time="0")
            ET.SubElement(tc, "error", message=case.error, type="ScenarioError")
        totals["tests"] += tests
        totals["failures"] += failures
        totals["errors"] += errors
    for k, v in totals.items():
        root.set(k, str(v))
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _first_frame_s(session: Any) -> float | None:
    """When the first picture reached the sink: seconds since loading began, on the device
    clock, like every event's ``at`` in the report."""
    first = session.sink.first_frame_at
    return None if first is None else round(max(0.0, first - session.t0), 4)
