"""The live channel's pure timing and MPD (no server): what the MPD advertises is exactly
what the OCA serves, for any time, addressing, Period boundaries and uneven (audio-like)
segment durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fake_backend.live.channel import ChannelConfig, ChannelState, Timing
from fake_backend.live.mpd import channel_mpd
from fake_backend.live.source import LoopSource, LoopTrack
from fake_backend.live.tfdt import retime_segment
from manifest import parse_mpd
from manifest.build import adaptation_set, audio_representation, video_representation
from manifest.timing import available_segments
from mediacore.boxes import box, find_first, full_box
from nrdp.live import live_window

AST = datetime(2026, 1, 1, tzinfo=UTC)
COUNT = 6


def source() -> LoopSource:
    v = video_representation("v1", bandwidth=300_000, codecs="avc1.64001e", width=426, height=240)
    a = audio_representation("a1", bandwidth=128_000, codecs="mp4a.40.2", sampling_rate=48_000)
    audio = (96256, 95232, 96256, 96256, 95232, 96256)  # AAC frames: not the 2 s grid
    return LoopSource(
        (
            LoopTrack(
                v,
                adaptation_set("video", [v], id="1"),
                90000,
                (180000,) * COUNT,
                tuple(f"v1/seg-{n}.m4s" for n in range(1, COUNT + 1)),
                "v1/init.mp4",
            ),
            LoopTrack(
                a,
                adaptation_set("audio", [a], id="2"),
                48000,
                audio,
                tuple(f"a1/seg-{n}.m4s" for n in range(1, COUNT + 1)),
                "a1/init.mp4",
            ),
        ),
        2.0,
        COUNT,
    )


@settings(max_examples=40, deadline=None)
@given(
    e=st.floats(min_value=40.0, max_value=4000.0),
    addressing=st.sampled_from(["time", "number"]),
    tsbd=st.sampled_from([10.0, 30.0]),
    boundary=st.one_of(st.none(), st.integers(min_value=1, max_value=30)),
)
def test_mpd_advertises_what_the_oca_serves(
    e: float, addressing: str, tsbd: float, boundary: int | None
) -> None:
    cfg = ChannelConfig("c", "c", addressing, segment_s=2.0, time_shift_buffer_s=tsbd)  # type: ignore[arg-type]
    timing = Timing(cfg, source())
    state = ChannelState()
    if boundary is not None:
        state.periods.append(max(1, int(e / 2.0) - boundary))  # inside or before the window
    now = AST + timedelta(seconds=e)
    m = parse_mpd(
        channel_mpd(timing, state, now=now, e=e, ast=AST, utc_base="http://o"),
        "http://o/c/manifest.mpd",
    )
    assert m.is_dynamic and m.time_shift_buffer_depth == tsbd
    w = live_window(m, now)
    newest = {t.id: timing.end_s(t, timing.newest(t, e)) for t in timing.source.tracks}
    assert abs(w.edge - min(newest.values())) < 1e-6
    for period in m.periods:
        for aset in period.adaptation_sets:
            rep = aset.representations[0]
            track = timing.source.track(str(rep.id))
            assert track is not None
            index = rep.index(now)
            for pos in available_segments(rep, now):
                ref = index[pos]
                g = (
                    ref.number - 1
                    if addressing == "number"
                    else timing.index_of_time(track, ref.time)
                )
                assert g is not None
                hit = timing.lookup(track, g, state)
                assert hit.available_at <= e + 1e-6  # advertised -> served
                assert abs(ref.end - timing.end_s(track, g)) < 0.03  # within one audio frame
            g_next = timing.newest(track, e) + 1
            assert timing.lookup(track, g_next, state).available_at > e


def test_times_round_trip_and_loops_are_contiguous() -> None:
    cfg = ChannelConfig("c", "c", "time")
    timing = Timing(cfg, source())
    for track in timing.source.tracks:
        prev_end = 0
        for g in range(3 * COUNT):
            t, d = timing.times(track, g)
            assert t == prev_end and timing.index_of_time(track, t) == g
            prev_end = t + d
        assert prev_end == 3 * timing.loop_ticks(track)
        assert timing.index_of_time(track, 1) is None


def test_retime_shifts_every_tfdt_in_place() -> None:
    def frag(version: int, base: int) -> bytes:
        value = base.to_bytes(8 if version else 4, "big")
        traf = box("traf", full_box("tfhd", 0, 0, b"\0\0\0\1"), full_box("tfdt", version, 0, value))
        return box("moof", full_box("mfhd", 0, 0, b"\0\0\0\1"), traf) + box("mdat", b"x" * 8)

    for version in (0, 1):
        data = frag(version, 1000)
        out = retime_segment(data, 5000)
        tfdt = find_first(out, "moof/traf/tfdt")
        assert tfdt is not None and len(out) == len(data)
        f = tfdt.fields(4)
        assert (f.u64() if version else f.u32()) == 6000
    stand_in = box("styp", b"msdh") + box("mdat", b"y")
    assert retime_segment(stand_in, 99) == stand_in
