"""The overlay shows the figures of the stats it is given; the graph draws its series."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

import nrdp
from apps.desktop.app_state import GraphSample, OverlayStats
from apps.desktop.graph import SERIES_COLOURS, ThroughputGraph
from apps.desktop.overlay import StatsOverlay


def snapshot(**kw):
    base = dict(
        state="playing",
        startup_time=0.5,
        playing_time=2.0,
        stall_count=0,
        stall_time=0.0,
        rebuffer_ratio=0.0,
        switch_count=0,
        switches=(),
        video_bitrate=700_000,
        audio_bitrate=128_000,
        bandwidth_bps=3e6,
        mean_throughput_bps=None,
        mean_ttfb=None,
        bytes_downloaded=0,
        segments_downloaded=0,
        buffer_ahead={"video": 3.0},
        decoded_frames=20,
        dropped_frames=0,
        license_time=None,
        current_oca="oca-1",
        oca_failovers=0,
        error_count=0,
        last_error=None,
    )
    base.update(kw)
    return nrdp.StatsSnapshot(**base)


def test_overlay_text_follows_live_snapshots(qtbot):
    o = StatsOverlay()
    qtbot.addWidget(o)
    o.set_stats(OverlayStats.from_snapshot(snapshot(), resolution="640x360"))
    text = o.text.text()
    assert "640x360" in text and "700 kb/s" in text and "oca-1 (failovers 0)" in text
    o.set_stats(
        OverlayStats.from_snapshot(
            snapshot(
                current_oca="oca-3",
                oca_failovers=1,
                stall_count=1,
                stall_time=0.5,
                buffer_ahead={"video": 1.5, "audio": 2.0},
                decoded_frames=41,
            ),
            resolution="426x240",
            clock_note="no audio device",
        )
    )
    text = o.text.text()
    assert "oca-3 (failovers 1)" in text and "1 (0.5s)" in text
    assert "audio 2.0s video 1.5s" in text and "41 shown" in text
    assert "system clock (no audio device)" in text and "640x360" not in text


def colour_pixels(widget, colour) -> int:
    img = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes()).reshape(
        img.height(), img.bytesPerLine() // 4, 4
    )
    b, g, r = (arr[..., i].astype(int) for i in range(3))
    return int(
        (
            (abs(r - colour.red()) < 40)
            & (abs(g - colour.green()) < 40)
            & (abs(b - colour.blue()) < 40)
        )[28:].sum()
    )


def test_graph_draws_each_series_only_with_samples(qtbot):
    g = ThroughputGraph()
    qtbot.addWidget(g)
    g.resize(300, 120)
    assert colour_pixels(g, SERIES_COLOURS["bitrate"]) == 0
    for t in range(20):
        g.add_sample(GraphSample(float(t), 700_000.0, 2e6 + 1e5 * (t % 3), 1.0 + t * 0.2))
    for name in ("bitrate", "throughput", "buffer"):
        assert colour_pixels(g, SERIES_COLOURS[name]) > 50, name
    assert len(g.history) == 20
