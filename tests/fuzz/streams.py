"""Fuzz targets for what the player receives on the media channels: the MPD as it opens it
(xlink Periods fetched and spliced), an MPD refresh (``Location``, ``UTCTiming``), the
UTCTiming answers (xsdate, iso, head, direct), the steering server, the ``sidx`` of a
SegmentBase Representation, init and media segments, a WebVTT file and thumbnail tiles.
Framing as in :mod:`tests.fuzz.responses` (byte 0: the status, byte 1: the variant)."""

from __future__ import annotations

import asyncio
import functools
import math
from typing import Any

from tests.fuzz.wire import Reply, ScriptedChannel, ScriptedTransport, drive, status_of

MPD_URL = "https://cdn.example/a/manifest.mpd"
_NS = 'xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xlink="http://www.w3.org/1999/xlink"'
_XLINK_MPD = f"""<MPD {_NS} type="static" mediaPresentationDuration="PT30S" minBufferTime="PT2S">
<Period id="main" duration="PT10S"><AdaptationSet id="v" mimeType="video/mp4">
<Representation id="r" bandwidth="1" codecs="avc1.4d401e" width="64" height="48">
<SegmentTemplate media="main-$Number$.m4s" initialization="init.mp4" duration="2"/>
</Representation></AdaptationSet>
<AdaptationSet xlink:href="https://ads.example/audio.xml" xlink:actuate="onLoad"/></Period>
<Period xlink:href="https://ads.example/ad-break.xml"/>
<Period id="tail" duration="PT10S"><AdaptationSet mimeType="video/mp4">
<Representation id="t" bandwidth="1"><SegmentTemplate media="tail-$Number$.m4s" duration="5"/>
</Representation></AdaptationSet></Period></MPD>""".encode()
_AD = b"""<Period xmlns="urn:mpeg:dash:schema:mpd:2011" id="ad" duration="PT10S"><AdaptationSet>
<Representation id="ad" bandwidth="1"><SegmentTemplate media="ad-$Number$.m4s" duration="5"/>
</Representation></AdaptationSet></Period>"""
_AUDIO = b'<AdaptationSet id="a1" lang="en"/><AdaptationSet id="a2" lang="fr"/>'
_LIVE_MPD = f"""<MPD {_NS} type="dynamic" availabilityStartTime="2026-11-22T02:00:00Z"
 publishTime="2026-11-22T02:59:00Z" minimumUpdatePeriod="PT2S" minBufferTime="PT2S"
 timeShiftBufferDepth="PT60S"><Location>https://cdn.example/live/next.mpd?t=1</Location>
<Period id="p0" start="PT0S"><AdaptationSet mimeType="video/mp4">
<SegmentTemplate timescale="1000" duration="2000" startNumber="1"
 media="v/$Number$.m4s" initialization="v/init.mp4"/>
<Representation id="v1" bandwidth="100000" codecs="avc1.4d401e" width="64" height="48"/>
</AdaptationSet></Period>
<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-xsdate:2014" value="https://time.example/now"/>
</MPD>""".encode()


def _finite(x: object) -> bool:
    return isinstance(x, float | int) and not isinstance(x, bool) and math.isfinite(x)


# ------------------------------------------------------------------- MPD open and xlink


def fuzz_mpd_open(data: bytes) -> None:
    """Byte 1 bit 0 clear: the MPD itself (its xlinks answered well); set: a good MPD whose
    remote AdaptationSet (bit 1 clear) or Period (bit 1 set) is answered with the body."""
    from nrdp.opening import open_manifest

    body = data[2:]
    variant = data[1] if len(data) > 1 else 0
    mpd = _XLINK_MPD if variant & 1 else body
    fuzzed = "ad-break.xml" if variant & 2 else "audio.xml"

    def script(method: str, url: str) -> Reply:
        if url == MPD_URL:
            return Reply(mpd)
        if variant & 1 and url.endswith(fuzzed):
            return Reply(body, status_of(data))
        return Reply(_AUDIO if url.endswith("audio.xml") else _AD)

    channel = ScriptedChannel(script)
    manifest = drive(open_manifest(channel, MPD_URL, {}))  # type: ignore[arg-type]
    assert not manifest.unresolved_xlinks, "open_manifest left an xlink"
    for period in manifest.periods:
        assert _finite(period.start_time), "a Period without a finite start"


def _mpd_open_seeds() -> list[bytes]:
    return [b"\0\0" + _XLINK_MPD, b"\0\1" + _AUDIO, b"\0\3" + _AD, b"\0\3", b"\0\3" + _AD * 2]


# -------------------------------------------------------------------------- MPD refresh


@functools.cache
def _live() -> Any:
    from manifest import parse_mpd

    return parse_mpd(_LIVE_MPD, MPD_URL)


def fuzz_mpd_refresh(data: bytes) -> None:
    """A live MPD update as the refresh task merges it (``Location``, new Periods and
    segments), then the UTCTiming sources it names."""
    from nrdp.live.refresher import MpdRefresher
    from nrdp.live.utc import timing_sources
    from nrdp.testing import FakeClock
    from tests.fuzz.targets import NOW

    async def fetch(url: str) -> bytes:
        return data

    refresher = MpdRefresher(_live(), fetch=fetch, clock=FakeClock(), utc_now=lambda: NOW)
    outcome = drive(refresher.refresh())
    assert isinstance(outcome.next_url, str) and outcome.next_url.startswith(("http:", "https:"))
    assert outcome.end is None or _finite(outcome.end)
    for source in timing_sources(outcome.manifest.utc_timings):
        assert isinstance(source.value, str)


def _mpd_refresh_seeds() -> list[bytes]:
    moved = _LIVE_MPD.replace(b"live/next.mpd?t=1", b"../other/x.mpd")
    ended = _LIVE_MPD.replace(b'minimumUpdatePeriod="PT2S"', b'mediaPresentationDuration="PT1H"')
    return [_LIVE_MPD, moved, ended]


# ---------------------------------------------------------------------------- UTCTiming

_SCHEMES = ("http-xsdate", "http-iso", "http-head", "direct")


def fuzz_utc_timing(data: bytes) -> None:
    """Byte 1 picks the scheme; the body is the time server's answer (``http-head``: its
    ``Date`` header; ``direct``: the descriptor's value) through ``channel_offset``."""
    from manifest.model import Descriptor
    from nrdp.live.utc import timing_sources
    from nrdp.live.utc_client import channel_offset

    scheme = _SCHEMES[data[1] % len(_SCHEMES)] if len(data) > 1 else _SCHEMES[0]
    body = data[2:]
    text = body.decode("utf-8", "surrogateescape")
    value = text if scheme == "direct" else "https://time.example/now"
    sources = timing_sources([Descriptor(f"urn:mpeg:dash:utc:{scheme}:2014", value)])
    headers = {"Date": text} if scheme == "http-head" else {}
    channel = ScriptedChannel(lambda method, url: Reply(body, status_of(data), headers))
    offset = drive(channel_offset(channel, sources, wall=lambda: 1_795_000_000.0))
    assert _finite(offset.offset_s) and _finite(offset.uncertainty_s)
    assert offset.uncertainty_s >= 0


def _utc_seeds() -> list[bytes]:
    return [
        b"\0\0" + b"2026-11-22T03:00:00Z",
        b"\0\1" + b"2026-11-22T03:00:00.123+01:00",
        b"\0\2" + b"Sun, 22 Nov 2026 03:00:00 GMT",
        b"\0\3" + b"2026-11-22T03:00:00Z",
    ]


# ----------------------------------------------------------------------------- steering


def fuzz_steering_client(data: bytes) -> None:
    """The steering server's answer (body's first line: ``Retry-After``) as the steering
    task takes it: it never raises, keeps or reorders the OCAs, and schedules a finite
    next request (or none)."""
    from nrdp.delivery.oca import Oca, OcaSelector
    from nrdp.delivery.steering_client import SteeringClient
    from nrdp.testing import FakeClock

    retry_after, _, body = data[1:].partition(b"\n")
    headers = {"Retry-After": retry_after.decode("utf-8", "surrogateescape")}
    clock = FakeClock()
    transport = ScriptedTransport(lambda m, u: Reply(body, status_of(data), headers), clock)
    ocas = [Oca("oca-1", "https://oca-1.example/"), Oca("oca-2", "https://oca-2.example/", 1)]
    selector = OcaSelector(ocas)
    client = SteeringClient(transport, selector, "https://steer.example/v1/steer", clock=clock)
    client.schedule.start(clock.now())
    drive(client.refresh())
    assert {o.id for o in selector.candidates} == {"oca-1", "oca-2"}
    wait = client.schedule.delay(clock.now())
    assert wait is None or (_finite(wait) and wait >= 0), f"next steering request in {wait}"


def _steering_client_seeds() -> list[bytes]:
    good = b'{"VERSION":1,"TTL":30,"PATHWAY-PRIORITY":["oca-2","oca-1"]}'
    return [b"\0\n" + good, b"\x0d120\n", b"\x0e\n", b"\0\n" + good.replace(b"30", b"1e400")]


# ------------------------------------------------------------------ SegmentBase's sidx

_SEGMENT_BASE_MPD = b"""<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"
 mediaPresentationDuration="PT8S" minBufferTime="PT2S"
 profiles="urn:mpeg:dash:profile:isoff-on-demand:2011"><Period id="p0">
<AdaptationSet mimeType="video/mp4"><Representation id="v1" bandwidth="100000"
 codecs="avc1.4d401e" width="64" height="48"><BaseURL>v1.mp4</BaseURL>
<SegmentBase indexRange="900-{last}"><Initialization range="0-899"/></SegmentBase>
</Representation></AdaptationSet></Period></MPD>"""


def _downloader(body: bytes, status: int, headers: dict[str, str] | None = None) -> Any:
    from nrdp.delivery.downloader import Downloader
    from nrdp.delivery.oca import Oca, OcaSelector
    from nrdp.testing import FakeClock

    clock = FakeClock()
    transport = ScriptedTransport(lambda m, u: Reply(body, status, headers or {}), clock)
    selector = OcaSelector([Oca("oca-1", "https://cdn.example/a/")])
    return Downloader(transport, selector, clock=clock, max_attempts=1, all_down_wait=0)


def fuzz_segment_index(data: bytes) -> None:
    """The ranged answer for a SegmentBase ``indexRange`` (as long as the body) as
    ``prepare_period`` takes it (byte 0: the status; 206 gets the matching
    ``Content-Range``), then its index."""
    from manifest import parse_mpd
    from nrdp.config import DeviceCapabilities
    from nrdp.opening import locate_in, prepare_period
    from nrdp.testing import FakeClock
    from nrdp.timeline import period_plans

    body = data[1:]
    status = status_of(data)
    headers = {"Content-Range": f"bytes 900-{900 + len(body) - 1}/{900 + len(body)}"}
    last = 900 + max(len(body), 1) - 1  # the MPD asks for as many bytes as the server has
    manifest = parse_mpd(_SEGMENT_BASE_MPD.replace(b"{last}", str(last).encode()), MPD_URL)
    (plan,) = period_plans(manifest, DeviceCapabilities())
    downloader = _downloader(body, status, headers if status == 206 else {})
    locate = locate_in("https://cdn.example/a/")
    ready = drive(prepare_period(downloader, locate, FakeClock(), plan))
    for choice in ready.tracks:
        assert _finite(choice.segment_duration) and choice.segment_duration > 0
        for rep in choice.representations:
            index = rep.index()
            for i in range(min(len(index), 64)):
                assert _finite(index[i].start) and _finite(index[i].duration)


def _segment_index_seeds() -> list[bytes]:
    from fake_backend.packager.on_demand import sidx_box

    return [
        b"\x06" + sidx_box(1, 1000, 0, [(5000, 2000)] * 4),
        b"\x06" + sidx_box(1, 90000, 9, [(1, 1)]),
    ]


# ------------------------------------------------------------------ init and media segments


def fuzz_segment_media(data: bytes) -> None:
    """The steps of ``MediaPipeline`` (called here on this thread: the budget counts it).
    Byte 0 even: the bytes are a rendition's init (``prepare_init``), then a real segment's
    sample times with it; odd: a media segment for the real encrypted init (byte 1 picks
    the scheme): ``decrypt``, ``sample_times``, then ``decode``."""
    from drm import KeyStore, decrypt_init, decrypt_segment
    from nrdp.media.codecs import DecoderPool
    from nrdp.media.decoder import decode_segment
    from nrdp.media.samples import segment_samples
    from tests.fuzz.targets import _KEY, _KID, _clip_parts, _protected

    if not data:
        return
    _, segments = _clip_parts()
    if not data[0] & 1:
        clear_init, _ = decrypt_init(data[1:])
        segment_samples(bytes(clear_init), segments[0], kind="video", number=1)
        return
    inits = _protected()
    enc_init = inits[data[1] % len(inits)][0] if len(data) > 1 else inits[0][0]
    clear_init, protection = decrypt_init(enc_init)
    segment = bytes(decrypt_segment(data[2:], protection, KeyStore({_KID: _KEY})))
    times = segment_samples(bytes(clear_init), segment, kind="video", number=1)
    decoded = decode_segment(
        bytes(clear_init), segment, kind="video", number=1, decoders=DecoderPool(per_key=1)
    )
    assert all(_finite(t.pts) and _finite(t.duration) for t in times)
    assert decoded.frames <= len(times), "more frames than samples"


def _segment_media_seeds() -> list[bytes]:
    from drm.encrypt import encrypt_segment, plan_from_init
    from tests.fuzz.targets import _KEY, _clip_parts, _protected

    init, segments = _clip_parts()
    out = [b"\0" + init]
    for i, (enc_init, _) in enumerate(_protected()[:2]):
        out.append(
            b"\1" + bytes([i]) + encrypt_segment(segments[0], plan_from_init(enc_init), _KEY)
        )
        out.append(b"\0" + enc_init)
    return out


# -------------------------------------------------------------------------- subtitles


def fuzz_subtitles(data: bytes) -> None:
    """A WebVTT file as the text presenter fetches, parses and delivers it: either typed
    ``on_error`` (subtitles off) or cues with finite, ordered times and text."""
    from mediacore.errors import SdkError
    from nrdp.text.presenter import TextPresenter

    cues: list[Any] = []
    errors: list[BaseException] = []

    async def fetch(path: str) -> bytes:
        return data

    async def run() -> None:
        presenter = TextPresenter(
            fetch=fetch,
            deliver=cues.append,
            position=lambda: 0.0,
            on_error=lambda err, track: errors.append(err),
            tick=0.0,
        )
        presenter.select("en", "t1/en.vtt")
        for _ in range(3):
            await asyncio.sleep(0)
        await presenter.close()

    drive(run())
    assert all(isinstance(e, SdkError) for e in errors)
    for cue in cues:
        assert _finite(cue.start) and _finite(cue.end) and cue.start <= cue.end
        assert isinstance(cue.text, str) and cue.track_id == "en"


def _subtitle_seeds() -> list[bytes]:
    return [
        b"WEBVTT\n\n00:00.000 --> 00:05.000\nhello\n\n00:00:01.000 --> 00:00:02.500 line:0\n"
        b"<i>two</i>\n",
        b"\xef\xbb\xbfWEBVTT\r\n\r\n00:00.000 --> 00:01.000\r\nx\r\n",
    ]


# ---------------------------------------------------------------------------- thumbnails

_THUMB_MPD = b"""<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"
 mediaPresentationDuration="PT25S" minBufferTime="PT2S"><Period id="p0" start="PT0S">
<AdaptationSet contentType="image" mimeType="image/jpeg">
<SegmentTemplate media="$RepresentationID$/tile-$Number$.jpg" duration="10" startNumber="1"/>
<Representation id="t" bandwidth="10000" width="800" height="180">
<EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="5x2"/>
</Representation></AdaptationSet></Period></MPD>"""


def fuzz_thumbnails(data: bytes) -> None:
    """A tile image's answer as ``ThumbnailSource`` takes it: the image bytes as sent, the
    cell of the asked time."""
    from manifest import parse_mpd
    from nrdp.opening import locate_in
    from nrdp.thumbnails import ThumbnailSource

    body = data[1:]
    manifest = parse_mpd(_THUMB_MPD, MPD_URL)
    downloader = _downloader(body, status_of(data))
    source = ThumbnailSource(manifest, downloader, locate_in("https://cdn.example/a/"))
    thumb = drive(source.thumbnail_at(12.2))
    source.close()
    assert thumb is not None and thumb.data == body
    assert thumb.rect == (320, 0, 160, 90) and thumb.mime == "image/jpeg"


def _thumbnail_seeds() -> list[bytes]:
    return [b"\0\xff\xd8\xff\xe0\0\x10JFIF\0", b"\0", b"\x0b"]
