"""A live source nobody here wrote: FFmpeg's ``dash`` muxer (through PyAV) encoding in real
time into a directory served by a plain ``http.server``.

The SDK's live pieces follow it over HTTP: UTCTiming sync with the device clock 30 s ahead
(the MPD's UTCTiming names the server's time endpoint), the MPD refresher task on the
minimumUpdatePeriod schedule, SegmentTimeline merging, the edge/DVR window math checked
against the segment files that really exist, and the end of the event when the muxer
rewrites the MPD as static on close. Real time by design (~12 s): marked slow.
"""

from __future__ import annotations

import asyncio
import fractions
import functools
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
import pytest

from manifest import parse_mpd
from manifest.isotime import format_datetime
from nrdp.live import (
    ClockSync,
    Fetch,
    live_window,
    plan_request,
    reached_end,
    timing_sources,
)
from nrdp.live.refresh import RefreshOutcome
from nrdp.live.refresher import MpdRefresher
from nrdp.live.utc_client import sync_offset

pytestmark = pytest.mark.slow

FPS = 25
SEGMENT_S = 1.0
WINDOW = 5
SECONDS = 12
DEVICE_SKEW_S = 30.0


class _Handler(SimpleHTTPRequestHandler):
    """Files of the muxer's directory, plus ``/time`` (http-xsdate)."""

    def do_GET(self) -> None:
        if self.path == "/time":
            body = format_datetime(datetime.now(UTC)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        thread.join()


def encode_live(
    out: Path, time_url: str, ready: threading.Event, seconds: Callable[[], int] | None = None
) -> None:
    """Encode SECONDS (or ``seconds()``, read at every frame: a test may extend the event
    while it runs) of video paced to the wall clock; closing writes the static MPD."""
    c = av.open(
        str(out),
        mode="w",
        format="dash",
        options={
            "window_size": str(WINDOW),
            "extra_window_size": "3",
            "update_period": "1",
            "use_timeline": "1",
            "use_template": "1",
            "streaming": "1",
            "seg_duration": str(SEGMENT_S),
            "utc_timing_url": time_url,
        },
    )
    s = c.add_stream("libx264", rate=FPS)
    s.width, s.height, s.pix_fmt = 160, 96, "yuv420p"
    s.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(FPS), "sc_threshold": "0"}
    t0 = time.time()
    try:
        i = 0
        while i < FPS * (seconds() if seconds is not None else SECONDS):
            delay = t0 + i / FPS - time.time()
            if delay > 0:
                time.sleep(delay)
            frame = av.VideoFrame.from_ndarray(
                np.full((96, 160, 3), (i * 7) % 256, dtype=np.uint8), format="rgb24"
            )
            frame.pts, frame.time_base = i, fractions.Fraction(1, FPS)
            for p in s.encode(frame):
                c.mux(p)
            if i == FPS * 3:
                ready.set()  # a few segments exist
            i += 1
        for p in s.encode():
            c.mux(p)
    finally:
        c.close()
        ready.set()


class WallClock:
    """The refresher's clock on real time (this test is real time by design)."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def test_follow_ffmpeg_dash_muxer_until_the_event_ends(tmp_path: Path, server: str) -> None:
    ready = threading.Event()
    encoder = threading.Thread(
        target=encode_live, args=(tmp_path / "live.mpd", server + "/time", ready), daemon=True
    )
    encoder.start()
    assert await asyncio.to_thread(ready.wait, 30)
    mpd_url = server + "/live.mpd"

    def device_wall() -> float:
        return time.time() + DEVICE_SKEW_S

    checks: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http:

        async def fetch(url: str) -> bytes:
            async with http.get(url) as r:
                assert r.status == 200
                return await r.read()

        first = parse_mpd(await fetch(mpd_url), mpd_url)
        assert first.is_dynamic and first.minimum_update_period == 1.0
        sources = timing_sources(first.utc_timings)
        assert [s.value for s in sources] == [server + "/time"]
        sync = ClockSync().update(await sync_offset(http, sources, wall=device_wall))
        assert sync.offset is not None and abs(sync.offset.offset_s + DEVICE_SKEW_S) < 0.5

        async def check(outcome: RefreshOutcome) -> None:
            m = outcome.manifest
            if not m.is_dynamic:
                return
            now = sync.now(device_wall())
            w = live_window(m, now)
            rep = m.periods[0].adaptation_sets[0].representations[0]
            refs = [r for r in rep.segments(now) if w.dvr_start <= r.start < w.edge]
            statuses = []
            for ref in refs:
                assert isinstance(plan_request(rep, ref, now), Fetch), ref
                async with http.head(ref.url) as r:
                    statuses.append(r.status)
            on_disk = {p.name for p in tmp_path.glob("chunk-*.m4s")}
            checks.append(
                {
                    "lag": w.now_s - w.edge,
                    "depth": w.depth,
                    "statuses": statuses,
                    "names_on_disk": all(r.url.rsplit("/", 1)[1] in on_disk for r in refs),
                    "segments": rep.segment_count(now),
                    "refs": [(r.number, r.start, r.end) for r in refs],
                }
            )

        pending: list[asyncio.Task[None]] = []
        refresher = MpdRefresher(
            first,
            fetch=fetch,
            clock=WallClock(),
            utc_now=lambda: sync.now(device_wall()),
            on_update=lambda o: pending.append(asyncio.ensure_future(check(o))),
        )
        final = await asyncio.wait_for(refresher.run(), timeout=60)
        await asyncio.gather(*pending)
    await asyncio.to_thread(encoder.join, 10)

    assert refresher.refreshes >= 5
    assert len(checks) >= 4
    for c in checks:
        # The edge trails now by the segment in progress plus MPD staleness (one update
        # period) plus encoder latency (slack for a loaded machine); never in the future.
        assert 0.0 <= c["lag"] < SEGMENT_S + 1.0 + 2.0, str(c)
        assert c["statuses"] and all(s == 200 for s in c["statuses"]), str(c)
        assert c["names_on_disk"], str(c)
        assert c["depth"] <= WINDOW * SEGMENT_S + 2 * SEGMENT_S, str(c)
    # The merged model keeps the history the muxer's 5-segment window dropped.
    assert max(c["segments"] for c in checks) > WINDOW + 1
    assert not final.is_dynamic and final.media_presentation_duration == float(SECONDS)
    assert refresher.last is not None and refresher.last.ended
    assert reached_end(final, float(SECONDS)) and not reached_end(final, SECONDS - 1.0)
