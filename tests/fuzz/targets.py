"""One fuzz target per parser of untrusted bytes, each with the errors it may raise and its
seed inputs. A target returns normally or raises one of its ``expected`` (typed) errors;
anything else, or an input over the time or memory budget (:mod:`tests.fuzz.budget`), is a
finding. Run by ``make test`` (Hypothesis, fixed seed: ``test_fuzz.py``) and ``make fuzz``
(atheris, coverage-guided: ``python -m tests.fuzz``)."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from mediacore.errors import SdkError
from tests.fuzz.channels import RESPONSE_KNOWN_INPUTS, RESPONSE_KNOWN_TARGETS, RESPONSE_TARGETS
from tests.fuzz.target import Target

CORPUS = Path(__file__).resolve().parent / "corpus"
SHARED = Path(os.environ.get("NRDP_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
URL = "https://cdn.example/a/manifest.mpd"
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _fields(data: bytes, n: int) -> list[bytes]:
    """``data`` cut into ``n`` fields at newlines (missing ones empty)."""
    parts = data.split(b"\n", n - 1)
    return parts + [b""] * (n - len(parts))


def _text(raw: bytes) -> str:
    """Header text as aiohttp gives it (UTF-8, undecodable bytes as lone surrogates)."""
    return raw.decode("utf-8", "surrogateescape")


# ------------------------------------------------------------------------------ MPD


def fuzz_mpd(data: bytes) -> None:
    """Parse, address every representation (static and live), write and re-parse."""
    from manifest import ManifestError, parse_mpd
    from manifest.timing import available_segments
    from manifest.writer import write_mpd

    m = parse_mpd(data, URL)
    for rep in m.representations():
        try:
            if m.is_dynamic:
                available_segments(rep, NOW)
            n = rep.segment_count()
            if n:
                index = rep.index()
                index[0], index[n - 1]
                rep.segment_at(index[0].start)
                list(zip(range(3), rep.segments(), strict=False))
            rep.init_segment()
        except ManifestError:
            pass
    written = write_mpd(m)
    again = parse_mpd(written, m.url)
    assert write_mpd(again) == written, "writer round trip is not stable"


_MPD = b"""<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT4S"
 minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011"><Period>
<AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="1000" duration="2000"
 media="v/$RepresentationID$/$Number%05d$.m4s" initialization="v/$RepresentationID$/init.mp4"/>
<Representation id="v1" bandwidth="100000" codecs="avc1.4d401e" width="64" height="48"/>
</AdaptationSet></Period></MPD>"""


def _mpd_seeds() -> list[bytes]:
    shared = sorted((SHARED / "corpus" / "mpd").glob("*.mpd"))[:12]
    return [_MPD, *(p.read_bytes() for p in shared)]


# ---------------------------------------------------------------------- boxes, sidx


def fuzz_boxes(data: bytes) -> None:
    """Walk every box (containers included), parse every sidx, round-trip the tree."""
    from manifest.sidx import parse_sidx
    from mediacore.boxes import parse_tree, walk

    for b in walk(data):
        if b.type == "sidx":
            parse_sidx(bytes(b.raw()), data_offset=b.end)
    tree = parse_tree(data)
    assert parse_tree(b"".join(n.to_bytes() for n in tree)) == tree  # size 0 becomes explicit


@functools.cache
def _clip_parts() -> tuple[bytes, tuple[bytes, ...]]:
    from mediacore.boxes import iter_boxes
    from tests.fuzz.clips import encoded_clip

    data = encoded_clip("frag_keyframe+empty_moov+default_base_moof", frames=12, gop=4)
    boxes = list(iter_boxes(data))
    moov = next(b for b in boxes if b.type == "moov")
    moofs = [b for b in boxes if b.type == "moof"]
    ends = [b.offset for b in moofs[1:]] + [len(data)]
    return data[: moov.end], tuple(data[m.offset : e] for m, e in zip(moofs, ends, strict=True))


def _box_seeds() -> list[bytes]:
    init, segments = _clip_parts()
    sidx = sorted((SHARED / "corpus" / "sidx").rglob("*.mp4"))[:2]
    return [init, *segments[:2], *(p.read_bytes()[:4096] for p in sidx)]


# ------------------------------------------------------------------ fMP4 sample tables


def fuzz_fmp4(data: bytes) -> None:
    """A segment against a real init: the reader, the decoder's packet table, the
    decode-off timer; the bytes as an init too."""
    from mediacore.fmp4 import read_fragments, read_init
    from nrdp.errors import DemuxFailed
    from nrdp.media.codecs import track_codec
    from nrdp.media.decoder import fragment_samples
    from nrdp.media.samples import segment_samples

    init, _ = _clip_parts()
    (track,) = read_init(init)
    read_fragments(data, {track.track_id: track.defaults}, origin=len(init))
    codec = track_codec(init, "video")
    assert codec is not None
    fragment_samples(data, codec, init_size=len(init))
    with contextlib.suppress(DemuxFailed):
        segment_samples(init, data, kind="video", number=1)
    read_init(data)


def _fmp4_seeds() -> list[bytes]:
    from tests.fuzz.fragments import Run, Traf, fragment

    _, segments = _clip_parts()
    runs = (
        Run(((10, 512, -512, True), (20, 512, 1024, False)), version=0),
        Run(((5, 1, 0, False),)),
    )
    made = fragment((Traf(1, runs), Traf(1, runs[:1], base_is_moof=False, decode_time=None)))
    return [*segments[:2], made]


# ---------------------------------------------------------- CENC and protection boxes


@functools.cache
def _protected() -> tuple[tuple[bytes, object], ...]:
    """(encrypted init, its protection) for each scheme, from the clip."""
    from drm import decrypt_init
    from drm.encrypt import encrypt_init

    init, _ = _clip_parts()
    out = []
    for scheme in ("cenc", "cbcs", "cens", "cbc1"):
        enc = encrypt_init(init, scheme, _KID)
        out.append((enc, decrypt_init(enc)[1]))
    return tuple(out)


_KID = bytes(range(16))
_KEY = bytes(range(16, 32))


def fuzz_cenc(data: bytes) -> None:
    """First byte picks a scheme's init; the rest is decrypted as a segment with it, and
    read as an init (protection boxes, pssh)."""
    from drm import KeyStore, decrypt_init, decrypt_segment, describe

    inits = _protected()
    if not data:
        return
    _, protection = inits[data[0] % len(inits)]
    segment = data[1:]
    decrypt_segment(segment, protection, KeyStore({_KID: _KEY}))  # type: ignore[arg-type]
    decrypt_init(segment)
    describe(segment)


def _cenc_seeds() -> list[bytes]:
    from drm.encrypt import encrypt_segment, plan_from_init

    _, segments = _clip_parts()
    out = []
    for i, (enc_init, _) in enumerate(_protected()):
        plan = plan_from_init(enc_init)
        out.append(bytes([i]) + encrypt_segment(segments[0], plan, _KEY))
        out.append(bytes([i]) + enc_init)
    for name in ("packager_cenc", "packager_cbcs"):
        files = sorted((SHARED / "corpus" / "cenc" / name).glob("*.mp4"))
        out.extend(b"\0" + p.read_bytes()[:20_000] for p in files[:1])
    return out


# -------------------------------------------------------------------------- ClearKey


def fuzz_clearkey(data: bytes) -> None:
    from drm.clearkey import parse_license_request, parse_license_response

    parse_license_request(data)
    parse_license_response(data)


def _clearkey_seeds() -> list[bytes]:
    from drm.clearkey import build_license_request, build_license_response

    return [
        build_license_request([_KID, _KEY]),
        build_license_response({_KID: _KEY}),
        b'{"keys":[{"kty":"oct","k":"AAEC","kid":"AAEC"}],"type":"temporary"}',
    ]


# --------------------------------------------------------------------------- WebVTT


def fuzz_webvtt(data: bytes) -> None:
    from nrdp.text.webvtt import parse_webvtt, write_webvtt

    doc = parse_webvtt(data)
    again = parse_webvtt(write_webvtt(doc.cues, header=doc.header))
    assert len(again.cues) == len(doc.cues)


def _webvtt_seeds() -> list[bytes]:
    return [
        b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n\n1\n00:00:01.000 --> 00:00:02.500 line:0\n"
        b"<b>two</b>\n\nNOTE x\n\nSTYLE\n::cue {}\n",
        b"\xef\xbb\xbfWEBVTT - title\r\nKind: captions\r\n\r\n00:01.000 --> 00:02.000\r\nx\r\n",
    ]


# ------------------------------------------------------------------ steering manifest


def fuzz_steering(data: bytes) -> None:
    from nrdp.delivery.steering import parse_steering_manifest

    parse_steering_manifest(data, url="https://steer.example/v1/steer?x=1")


def _steering_seeds() -> list[bytes]:
    return [
        b'{"VERSION":1,"TTL":300,"RELOAD-URI":"https://steer.example/next",'
        b'"PATHWAY-PRIORITY":["oca-1","oca-2"]}',
        b'{"VERSION":1,"TTL":10,"PATHWAY-PRIORITY":["a"],"PATHWAY-CLONES":[]}',
    ]


# -------------------------------------------------------------------- scenario files


def fuzz_scenario(data: bytes) -> None:
    """First byte picks .yaml or .json; the rest is the file."""
    from apps.headless.scenario_format import load_scenario

    if not data:
        return
    suffix = ".json" if data[0] & 1 else ".yaml"
    with tempfile.TemporaryDirectory(prefix="nrdp-fuzz-") as tmp:
        path = Path(tmp) / f"case{suffix}"
        path.write_bytes(data[1:])
        load_scenario(path)


def _scenario_seeds() -> list[bytes]:
    root = Path(__file__).resolve().parents[2] / "scenarios"
    return [
        (b"\1" if p.suffix == ".json" else b"\0") + p.read_bytes()
        for p in sorted(root.rglob("*"))[:8]
        if p.is_file()
    ]


def _scenario_errors() -> tuple[type[BaseException], ...]:
    from apps.headless.scenario_format import ScenarioFormatError

    return (ScenarioFormatError,)


# -------------------------------------------------------- signed-message verification


def fuzz_signing(data: bytes) -> None:
    """A response checked by the SDK and a request checked by the fake backend, both from
    fuzzed headers and bodies (the request's own nonce and path are the player's)."""
    from fake_backend.integrity import NonceCache
    from mediacore.signed_message import (
        HEADER_NONCE,
        HEADER_SIGNATURE,
        HEADER_TIMESTAMP,
        canonical_request,
        signature_matches,
    )
    from nrdp.playback.signing import sign_request, verify_response

    status, ts, nonce, sig, path, body = _fields(data, 6)
    request = sign_request(_KEY, "POST", "/play/v1/x?a=1", b"{}", timestamp=1000, nonce="n" * 16)
    headers = {
        HEADER_TIMESTAMP: _text(ts),
        HEADER_NONCE: _text(nonce),
        HEADER_SIGNATURE: _text(sig),
    }
    code = int.from_bytes(status[:2] or b"\0", "big")
    verify_response(_KEY, request, code, headers, body, now=1000.0)
    canon = canonical_request(
        "POST", _text(path), int.from_bytes(ts[:8] or b"\0", "big"), _text(nonce), body
    )
    signature_matches(_KEY, canon, _text(sig))
    NonceCache(max_entries=4).check_and_add(_text(path), _text(nonce), 1000.0)


def _signing_seeds() -> list[bytes]:
    from mediacore.signed_message import sign_response

    h = sign_response(_KEY, 200, "/play/v1/x?a=1", b"ok", timestamp=1000, nonce="n" * 16)
    return [b"\0\xc8\n1000\n" + b"n" * 16 + b"\n" + h.signature.encode() + b"\n/p\nok"]


def _signing_errors() -> tuple[type[BaseException], ...]:
    from nrdp.errors import ResponseTampered

    return (ResponseTampered,)


def _sdk() -> tuple[type[BaseException], ...]:
    return (SdkError,)


TARGETS: dict[str, Callable[[], Target]] = {
    "mpd": lambda: Target("mpd", fuzz_mpd, _sdk(), _mpd_seeds),
    "boxes": lambda: Target("boxes", fuzz_boxes, _sdk(), _box_seeds),
    "fmp4": lambda: Target("fmp4", fuzz_fmp4, _sdk(), _fmp4_seeds),
    "cenc": lambda: Target("cenc", fuzz_cenc, _sdk(), _cenc_seeds),
    "clearkey": lambda: Target("clearkey", fuzz_clearkey, _sdk(), _clearkey_seeds),
    "webvtt": lambda: Target("webvtt", fuzz_webvtt, _sdk(), _webvtt_seeds),
    "steering": lambda: Target("steering", fuzz_steering, _sdk(), _steering_seeds),
    "scenario": lambda: Target("scenario", fuzz_scenario, _scenario_errors(), _scenario_seeds),
    "signing": lambda: Target("signing", fuzz_signing, _signing_errors(), _signing_seeds),
    **RESPONSE_TARGETS,
}
"""Every target by name (built lazily: a target imports only what it parses)."""


# Findings in code this suite may not change, reported with their kept inputs; the tests
# turn green (XPASS) once the owner fixes them.
KNOWN_TARGETS: dict[str, str] = RESPONSE_KNOWN_TARGETS
KNOWN_INPUTS: dict[str, str] = RESPONSE_KNOWN_INPUTS
"""The findings kept in corpus/scenario and corpus/mpd (issue 17 items 5 and 12) are fixed;
their inputs are regressions now. Open ones: :mod:`tests.fuzz.channels`."""


def target(name: str) -> Target:
    return TARGETS[name]()


def corpus(name: str, *, known: bool = True) -> list[bytes]:
    """The kept regression inputs of a target (crashers found before, shrunk); without the
    open findings of :data:`KNOWN_INPUTS` unless ``known`` (a fuzz run would stop on them)."""
    folder = CORPUS / name
    files = sorted(folder.iterdir()) if folder.is_dir() else []
    return [
        p.read_bytes()
        for p in files
        if p.is_file() and (known or f"{name}/{p.name}" not in KNOWN_INPUTS)
    ]
