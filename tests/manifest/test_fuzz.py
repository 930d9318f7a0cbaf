"""Random mutations of corpus MPDs give a Manifest or a typed ManifestError, nothing else."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manifest import Manifest, ManifestError, parse_mpd
from manifest.summary import summarize
from manifest.timing import available_segments, segment_availability
from manifest.writer import write_mpd

REPO_ROOT = Path(__file__).resolve().parents[2]
_CORPUS = Path(os.environ.get("NRDP_SHARED_DIR", REPO_ROOT.parent / "shared")) / "corpus"
# Small and varied: every addressing mode, protection, multi-period, live, quirks.
SAMPLES = [
    (_CORPUS / name).read_bytes()
    for name in (
        "mpd/androidx__sample_mpd_segment_template.mpd",
        "mpd/livesim2__segtimeline_multiper_full_min.mpd",
        "mpd/androidx__sample_mpd_live.mpd",
        "mpd/androidx__sample_mpd_clear_key_license_url.mpd",
        "mpd/androidx__sample_mpd_dashif_license_url.mpd",
        "mpd/androidx__sample_mpd_availabilityTimeOffset_segmentList.mpd",
        "mpd/androidx__sample_mpd_multiple_baseUrls.mpd",
        "mpd/shakaplayer__6339_master.mpd",
        "mpd/shakaplayer__7401_dash_0.mpd",
        "mpd/dashjs__unit_manifest.mpd",
        "mpd/packager__encryption-and-ad-cues.mpd",
        "sidx/androidx_emsg/sample.mpd",
    )
]

TOKENS = [
    b'r="-1"',
    b'd="0"',
    b'd="-5"',
    b't="99999999999999999999999"',
    b"<S/>",
    b'<S d="1"/>',
    b"$Number%0",
    b"$Time$",
    b"$$",
    b"$Bogus$",
    b'"',
    b">",
    b"<",
    b"</Period>",
    b"<Period>",
    b'duration="PT-1S"',
    b'start="P1Y2M"',
    b'timescale="0"',
    b'xlink:href="x"',
    b'indexRange="5-1"',
    b'mediaRange="a-b"',
    b"<!ENTITY",
    b"&amp;",
    b"&bogus;",
    b"\x00",
    b"\xff\xfe",
    b"[",
    b'availabilityTimeOffset="nan"',
    b'startNumber="-3"',
    b"<SegmentTemplate/>",
    b"<SegmentList/>",
    b"<SegmentBase/>",
    b'cenc:default_KID="zz"',
]

VALUES = [
    b"-1",
    b"0",
    b"1",
    b"abc",
    b"99999999999999999999",
    b"PT-1S",
    b"",
    b"$Number%0d$",
    b"[",
    b"INF",
    b"nan",
    b"P1Y",
    b"2020-13-45",
    b"5-1",
    b"urn:uuid:",
    b"http://[x/",
    b"-PT0S",
]

mutation = st.tuples(
    st.sampled_from(["delete", "insert", "replace", "truncate", "attr", "attr"]),
    st.floats(0, 1),
    st.integers(1, 64),
    st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=8) | st.sampled_from(VALUES),
)


def _mutate(data: bytes, muts: list[tuple[str, float, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for op, where, n, payload in muts:
        i = int(where * len(buf))
        if op == "delete":
            del buf[i : i + n]
        elif op == "insert":
            buf[i:i] = payload
        elif op == "attr":
            # Keep the XML well-formed: swap one attribute value for a hostile one.
            start = buf.find(b'="', i)
            end = buf.find(b'"', start + 2) if start >= 0 else -1
            if end > 0:
                buf[start + 2 : end] = payload.replace(b'"', b"").replace(b"<", b"")
        elif op == "replace":
            buf[i : i + len(payload)] = payload
        else:
            del buf[i:]
    return bytes(buf)


NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _exercise(m: Manifest) -> None:
    for rep in m.representations():
        try:
            if m.is_dynamic:
                live = available_segments(rep, NOW)
                if len(live):
                    segment_availability(rep, rep.index(NOW)[live.start])
                    rep.segment_count(NOW)
            n = rep.segment_count()
            if n:
                index = rep.index()
                first, last = index[0], index[n - 1]
                assert rep.segment_at(first.start).position == 0
                assert last.position == n - 1
                list(zip(range(3), rep.segments(), strict=False))
            rep.init_segment()
        except ManifestError:
            pass
    summarize(m)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sample=st.sampled_from(SAMPLES), muts=st.lists(mutation, min_size=1, max_size=4))
def test_mutated_corpus_mpds_fail_only_with_typed_errors(
    sample: bytes, muts: list[tuple[str, float, int, bytes]]
) -> None:
    data = _mutate(sample, muts)
    try:
        m = parse_mpd(data, "https://cdn.example/a/manifest.mpd")
    except ManifestError:
        return
    _exercise(m)
    try:
        again = parse_mpd(write_mpd(m), m.url)
    except ManifestError:
        return
    assert again == m
