"""Result tables fit an 80-column terminal (compact layout) and name scenarios; ``load``
shows progress while it runs; ``--plot`` labels its y axes with units."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from apps.headless.plot import BUFFER_LABEL, RATE_LABEL, rate_ticks, session_figure
from apps.headless.progress import LoadProgress
from apps.headless.session import Tick
from apps.headless.tables import summary_table


def _row(i: int, **extra: object) -> dict[str, object]:
    return {
        "session": i, "cell": "control", "title": "t-kitchen", "state": "ended",
        "startup_ms": 127.3, "avg_bitrate_kbps": 4709.2, "stall_count": 2,
        "rebuffer_ratio": 0.0123, "switches": 3, "failovers": 1, "frames_decoded": 2160,
        "frames_expected": 2160, "frames_in_order": True, "qoe": {"qoe_lin": 4.123},
        "errors": [], "realtime_lag_s": 0.12, "kept_realtime": True, **extra,
    }  # fmt: skip


def _lines(rows: list[dict[str, object]], width: int, *, load: bool = False) -> list[str]:
    console = Console(record=True, width=width, file=io.StringIO())
    console.print(summary_table(rows, load=load, width=width))
    return console.export_text().splitlines()


def test_compact_layout_fits_80_columns_with_every_figure() -> None:
    rows = [_row(i, trace="dip.txt") for i in range(3)]
    for load in (True, False):
        lines = _lines(rows, 80, load=load)
        assert max(len(ln) for ln in lines) <= 80
        body = "\n".join(lines)
        for figure in ("t-kitchen", "127", "4709", "2 1.2%", "3/1", "2160/2160", "4.12"):
            assert figure in body, figure
    assert "dip.txt" in "\n".join(_lines(rows, 80, load=True))
    # a terminal wide enough for every cell on one line keeps the full table, else compact
    wide = _lines(rows, 240, load=True)
    assert 160 < max(len(ln) for ln in wide) <= 240 and any("QoE lin" in ln for ln in wide)
    assert not any("QoE lin" in ln for ln in _lines(rows, 160, load=True))


def test_out_of_order_frames_and_errors_show_in_the_compact_layout() -> None:
    body = "\n".join(_lines([_row(0, frames_in_order=False, errors=[3008])], 80))
    assert "2160/2160!" in body and "3008" in body


def test_scenario_rows_name_their_scenario() -> None:
    rows = [_row(0, scenario="oca-failover"), _row(1, scenario="steady-state")]
    for width in (80, 200):
        body = "\n".join(_lines(rows, width))
        assert "scenario" in body and "oca-failover" in body and "steady-state" in body
    assert all("scenario" not in ln for ln in _lines([_row(0)], 200))


def _tick(position: float, state: str = "playing") -> Tick:
    return Tick("t-ocean", state, position, 30.0, 800.0, 5.0, "oca-1", 0, 0)


def test_load_progress_reports_sessions_and_media_while_running() -> None:
    out = io.StringIO()
    progress = LoadProgress(Console(file=out, width=80), 3)
    with progress:
        progress.on_tick(0, _tick(10.0))
        assert progress.counts() == "1 playing, 0 ended, 0 failed, 2 waiting"
        progress.on_tick(1, _tick(4.0))
        progress.on_done(0, "ended")
        progress.on_done(2, "error")
        assert progress.counts() == "1 playing, 1 ended, 1 failed, 0 waiting"
        progress.on_done(1, "ended")
    text = out.getvalue()
    assert "load: 1 playing, 0 ended, 0 failed, 2 waiting; 10/30 s of media" in text
    assert "load: 0 playing, 2 ended, 1 failed, 0 waiting; 60/60 s of media" in text


def test_plot_axes_carry_labels_units_and_readable_rate_ticks(tmp_path: Path) -> None:
    seg = [
        {"track": "video", "t": 2.0 * i, "bytes": 250_000, "download_s": 0.4, "bitrate_kbps": b}
        for i, b in enumerate((800, 1500, 2500, 5000))
    ]
    report = {"title": "t", "segments": seg, "timeline": [{"t": 0.0, "buffer_s": 1.0}]}
    fig = session_figure(report)
    rate_ax, buffer_ax = fig.axes
    assert rate_ax.get_ylabel() == RATE_LABEL and "kbit/s" in RATE_LABEL
    assert buffer_ax.get_ylabel() == BUFFER_LABEL and "(s)" in BUFFER_LABEL
    fig.canvas.draw()
    labels = [t.get_text() for t in rate_ax.get_yticklabels()]
    assert "1,000" in labels and "5,000" in labels, labels
    assert rate_ticks(780, 22_000) == [500, 1000, 2000, 5000, 10_000, 20_000, 50_000]
