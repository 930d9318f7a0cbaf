"""``load``: N concurrent sessions against one backend, aggregated QoE and errors.

Each session is its own :class:`nrdp.Device` (own device id, channels and login) playing
one title; with ``--trace-set DIR`` session *i* paces its own OCA (``i mod OCAs``) by trace
``i mod traces`` (OCA fault plans are per OCA, so sessions sharing an OCA share its trace).
Per A/B cell QoE comes from the backend's experiment report (control plane).
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nrdp
from apps.headless.backend import BackendInfo, UsageError
from apps.headless.faults import ControlClient, ControlError, load_trace
from apps.headless.report import session_report
from apps.headless.scenarios import new_device_id
from apps.headless.session import PlayOptions, PlaySession

__all__ = ["aggregate", "run_load"]


async def _one(
    info: BackendInfo, index: int, title: str, realtime: bool, decode: bool, duration: float | None
) -> dict[str, Any]:
    config = nrdp.DeviceConfig(new_device_id(f"qa-load-{index}"), info.gateway_url)
    try:
        async with nrdp.Device(config) as device:
            assert info.email and info.password
            await device.login(info.email, info.password)
            opts = PlayOptions(
                title=title, realtime=realtime, duration=duration, read_frame_ids=decode
            )
            session = PlaySession(device, opts)
            await session.run()
            report = session_report(session)
            report["session"] = index
            return report
    except nrdp.SdkError as err:
        return {"session": index, "title": title, "state": "error", "errors": [err.code]}


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def aggregate(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Means over the sessions that produced a report, and error codes counted."""
    full = [r for r in reports if "rebuffer_ratio" in r]
    qoe = [r["qoe"]["qoe_lin"] for r in full if r.get("qoe")]
    codes: Counter[int] = Counter(c for r in reports for c in r.get("errors", []))
    return {
        "sessions": len(reports),
        "ended": sum(1 for r in reports if r.get("state") == "ended"),
        "failed": sum(1 for r in reports if r.get("state") == "error"),
        "mean_startup_ms": _mean(
            [r["startup_ms"] for r in full if r.get("startup_ms") is not None]
        ),
        "mean_bitrate_kbps": _mean([r["avg_bitrate_kbps"] for r in full]),
        "mean_rebuffer_ratio": _mean([r["rebuffer_ratio"] for r in full]),
        "stalls": sum(r["stall_count"] for r in full),
        "failovers": sum(r["failovers"] for r in full),
        "mean_qoe_lin": _mean(qoe),
        "frames_in_order": all(r.get("frames_in_order") for r in full) if full else False,
        "errors": {str(k): v for k, v in sorted(codes.items())},
    }


async def run_load(
    info: BackendInfo,
    control: ControlClient,
    *,
    sessions: int,
    titles: Sequence[str],
    realtime: bool,
    decode: bool,
    duration: float | None,
    trace_set: Path | None,
) -> dict[str, Any]:
    if not titles:
        raise UsageError("no titles to play (give --title or --endpoints with titles)")
    if not info.email or not info.password:
        raise UsageError("no credentials: give --email/--password or --endpoints FILE")
    if trace_set is not None:
        files = sorted(p for p in trace_set.iterdir() if p.is_file()) if trace_set.is_dir() else []
        if not files:
            raise UsageError(f"--trace-set {trace_set}: no trace files")
        ids = await control.all_oca_ids()
        for i, oca_id in enumerate(ids[: min(len(ids), sessions)]):
            await control.apply_trace(load_trace(files[i % len(files)]), (oca_id,))
    try:
        reports = await asyncio.gather(
            *(
                _one(info, i, titles[i % len(titles)], realtime, decode, duration)
                for i in range(sessions)
            )
        )
    finally:
        if trace_set is not None:
            for oca_id in await control.all_oca_ids():
                await control.clear(oca_id)
    cells: Any = None
    if control.control_url:
        try:
            cells = (await control.experiment_report()).get("cells")
        except ControlError as exc:
            cells = {"error": str(exc)}
    for r in reports:
        for key in ("events", "timeline", "segments"):
            r.pop(key, None)
    return {"aggregate": aggregate(reports), "cells": cells, "sessions": list(reports)}
