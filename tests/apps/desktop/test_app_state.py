"""The Qt-free view models: built from real service JSON shapes and real SDK values."""

from __future__ import annotations

import subprocess
import sys

import nrdp
from apps.desktop.app_state import (
    ErrorInfo,
    GraphHistory,
    GraphSample,
    HomeState,
    OverlayStats,
    PlaybackState,
    TitleDetails,
    TrackOption,
    format_bitrate,
    format_time,
)

DETAILS = {
    "id": "t-ocean",
    "name": "Ocean Deep",
    "synopsis": "A marine biologist maps the trenches.",
    "genres": ["documentary"],
    "year": 2021,
    "duration_s": 8.0,
    "maturity": "PG",
    "max_height": 720,
    "renditions": [
        {"id": "v720", "kind": "video", "bitrate_kbps": 2500, "width": 1280, "height": 720},
        {"id": "v240", "kind": "video", "bitrate_kbps": 300, "width": 426, "height": 240},
        {"id": "v1080", "kind": "video", "bitrate_kbps": 4500, "width": 1920, "height": 1080},
        {"id": "a128", "kind": "audio", "bitrate_kbps": 128, "width": 0, "height": 0},
    ],
}


def test_details_ladder_is_the_players_rung_order_and_respects_the_plan_cap():
    d = TitleDetails.from_json(DETAILS, [{"title_id": "t-ocean", "position_s": 3.5}])
    assert [(q.rung, q.height) for q in d.qualities] == [(0, 240), (1, 720)]
    assert d.qualities[1].label == "720p (2500 kb/s)"
    assert d.audio_tracks == (TrackOption("a128", "a128"),)
    assert d.resume_at == 3.5


def test_resume_only_inside_the_title():
    assert (
        TitleDetails.from_json(DETAILS, [{"title_id": "t-ocean", "position_s": 7.9}]).resume_at
        is None
    )
    assert (
        TitleDetails.from_json(DETAILS, [{"title_id": "other", "position_s": 2}]).resume_at is None
    )


def test_home_rows_and_degraded():
    home = HomeState.from_json(
        {
            "rows": [{"id": "trending", "title": "Trending now", "items": [DETAILS]}],
            "degraded": ["recommendations"],
        }
    )
    assert home.rows[0].title == "Trending now" and home.rows[0].items[0].name == "Ocean Deep"
    assert home.degraded == ("recommendations",)


def test_error_info_from_a_real_sdk_error():
    err = nrdp.NotEntitled(title_id="t-ocean")
    info = ErrorInfo.from_dict(err.to_dict())
    assert (info.code, info.name) == (7104, "NotEntitled")
    assert "t-ocean" in info.message


def test_overlay_lines_carry_every_figure():
    snap = nrdp.StatsSnapshot(
        state="playing",
        startup_time=0.4,
        playing_time=3.0,
        stall_count=2,
        stall_time=1.25,
        rebuffer_ratio=0.1,
        switch_count=1,
        switches=(),
        video_bitrate=1_200_000,
        audio_bitrate=128_000,
        bandwidth_bps=5_500_000.0,
        mean_throughput_bps=None,
        mean_ttfb=None,
        bytes_downloaded=1,
        segments_downloaded=1,
        buffer_ahead={"video": 4.5, "audio": 6.0},
        decoded_frames=90,
        dropped_frames=3,
        license_time=0.1,
        current_oca="oca-2",
        oca_failovers=1,
        error_count=0,
        last_error=None,
    )
    text = "\n".join(
        OverlayStats.from_snapshot(
            snap,
            resolution="854x480",
            throughput_bps=8e6,
            display_dropped=2,
            clock_note="no audio device",
        ).lines()
    )
    for part in (
        "854x480",
        "1.20 Mb/s",
        "5.50 Mb/s",
        "8.00 Mb/s",
        "video 4.5s",
        "audio 6.0s",
        "oca-2 (failovers 1)",
        "90 shown, 5 dropped",
        "2 (1.2s)",
        "system clock (no audio device)",
    ):
        assert part in text


def test_small_helpers():
    assert format_time(None) == "--:--" and format_time(65.9) == "1:05"
    assert format_time(3725) == "1:02:05"
    assert format_bitrate(None) == "-" and format_bitrate(700_000) == "700 kb/s"
    assert PlaybackState(state="buffering").playing and not PlaybackState(state="paused").playing


def test_graph_history_keeps_only_its_window():
    h = GraphHistory(window=10.0)
    for t in range(30):
        h.add(GraphSample(float(t), 1.0, 2.0, 3.0))
    assert [s.at for s in h.samples()] == [float(t) for t in range(19, 30)]


def test_view_models_import_no_qt():
    code = (
        "import sys, apps.desktop.app_state;"
        "print(any(m.startswith('PySide6') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
