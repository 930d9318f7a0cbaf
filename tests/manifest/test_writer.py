"""write_mpd: parse(write(m)) == m for the corpus, for built models and for generated ones."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest import (
    AdaptationSet,
    BaseUrl,
    ContentProtection,
    Descriptor,
    Manifest,
    Period,
    Representation,
    SegmentList,
    SegmentTemplate,
    SegmentTimeline,
    SegmentUrl,
    link,
    parse_mpd,
)
from manifest.build import (
    adaptation_set,
    audio_representation,
    clearkey_protection,
    mp4_protection,
    number_template,
    static_manifest,
    text_representation,
    timeline_template,
    video_representation,
)
from manifest.model import ByteRange
from manifest.writer import write_mpd

REPO_ROOT = Path(__file__).resolve().parents[2]
_CORPUS = Path(os.environ.get("NRDP_SHARED_DIR", REPO_ROOT.parent / "shared")) / "corpus"
MPD_NAMES = sorted(
    k
    for k, v in json.loads((_CORPUS / "expected.json").read_text())["files"].items()
    if v["kind"] == "mpd"
)


@pytest.mark.parametrize("name", MPD_NAMES)
def test_corpus_round_trip(corpus_dir: Path, name: str) -> None:
    m = parse_mpd((corpus_dir / name).read_bytes(), "https://cdn.example/a/b.mpd")
    again = parse_mpd(write_mpd(m), m.url)
    assert again == m
    # Derived values agree too: same URLs for the first segments of every representation.
    for r1, r2 in zip(m.representations(), again.representations(), strict=True):
        assert r1.base_url_candidates == r2.base_url_candidates
        try:
            n = min(3, r1.segment_count())
        except Exception:
            continue
        assert [r1.index()[i] for i in range(n)] == [r2.index()[i] for i in range(n)]


KID = "31323334-3536-3738-3930-313233343536"


def _packager_manifest() -> Manifest:
    video_tpl = number_template(
        "$RepresentationID$/$Number%04d$.m4s",
        "$RepresentationID$/init.mp4",
        timescale=90000,
        duration=180000,
    )
    audio_tpl = timeline_template(
        "$RepresentationID$/$Time$.m4s",
        "$RepresentationID$/init.mp4",
        timescale=48000,
        durations=[96256, 96256, 95232, 96256, 47104],
    )
    protection = (mp4_protection("cenc", KID), clearkey_protection("https://lic.example/ck"))
    return static_manifest(
        [
            adaptation_set(
                "video",
                [
                    video_representation(
                        "v360",
                        bandwidth=800_000,
                        codecs="avc1.64001e",
                        width=640,
                        height=360,
                        frame_rate="25",
                    ),
                    video_representation(
                        "v720",
                        bandwidth=2_500_000,
                        codecs="avc1.64001f",
                        width=1280,
                        height=720,
                        frame_rate="25",
                    ),
                ],
                id="0",
                segment=video_tpl,
                protection=protection,
            ),
            adaptation_set(
                "audio",
                [
                    audio_representation(
                        "a", bandwidth=128_000, codecs="mp4a.40.2", sampling_rate=48000
                    )
                ],
                id="1",
                lang="en",
                segment=audio_tpl,
                protection=protection,
                roles=["main"],
            ),
            adaptation_set(
                "text",
                [text_representation("t", bandwidth=1000)],
                id="2",
                lang="en",
                segment=number_template(
                    "t/$Number$.m4s", "t/init.mp4", timescale=1000, duration=2000
                ),
            ),
        ],
        duration=9.5,
        url="https://cdn.example/content/manifest.mpd",
        base_url="https://oca1.example/c/",
    )


def test_packager_model_round_trip_and_addressing() -> None:
    m = _packager_manifest()
    data = write_mpd(m)
    assert b"dashif:Laurl" in data and b"cenc:default_KID" in data
    again = parse_mpd(data, m.url)
    assert again == m
    video = again.periods[0].adaptation_sets[0].representations[1]
    assert video.segment_count() == 5  # 9.5 s in 2 s segments
    assert video.index()[4].url == "https://oca1.example/c/v720/0005.m4s"
    assert video.init_segment().url == "https://oca1.example/c/v720/init.mp4"
    cps = video.content_protection
    assert cps[0].scheme == "cenc" and cps[0].default_kid == KID
    assert cps[1].system_id == "e2719d58-a985-b3c9-781a-b030af78d30e"
    assert cps[1].license_url == "https://lic.example/ck"
    audio = again.periods[0].adaptation_sets[1].representations[0]
    assert [r.path for r in audio.segments()][:2] == ["a/0.m4s", "a/96256.m4s"]
    assert audio.audio_channels[0].value == "2"
    assert again.periods[0].adaptation_sets[2].kind == "text"


# --------------------------------------------------------------------- generated models
_name = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
_descriptor = st.builds(
    Descriptor,
    scheme_id_uri=st.sampled_from(["urn:mpeg:dash:role:2011", "urn:x:y"]),
    value=st.none() | _name,
)
_timeline = st.lists(
    st.tuples(
        st.tuples(st.none() | st.integers(0, 10**6), st.integers(1, 10**5), st.integers(0, 20)),
        st.none() | st.integers(0, 10**4),
        st.none() | st.integers(1, 8),
    ),
    min_size=1,
    max_size=6,
).map(
    lambda items: SegmentTimeline.from_entries(
        [e for e, _, _ in items],
        numbers=[n for _, n, _ in items],
        subsegments=[k for _, _, k in items],
    )
)
_template = st.builds(
    SegmentTemplate,
    media=st.sampled_from(["$Number$.m4s", "$RepresentationID$/$Time$.mp4", "s-$Number%03d$"]),
    initialization=st.none() | st.just("init-$RepresentationID$.mp4"),
    timescale=st.none() | st.integers(1, 90000),
    duration=st.none() | st.integers(1, 10**6),
    start_number=st.none() | st.integers(0, 100),
    presentation_time_offset=st.none() | st.integers(0, 10**6),
    timeline=st.none() | _timeline,
)
_segment_list = st.builds(
    SegmentList,
    duration=st.integers(1, 100),
    segment_urls=st.lists(
        st.builds(
            SegmentUrl,
            media=st.none() | _name,
            media_range=st.none()
            | st.builds(
                lambda a, n: ByteRange(a, a + n), st.integers(0, 10**6), st.integers(0, 999)
            ),
        ),
        max_size=4,
    ).map(tuple),
)
_protection = st.builds(
    ContentProtection,
    scheme_id_uri=st.sampled_from(
        ["urn:mpeg:dash:mp4protection:2011", "urn:uuid:e2719d58-a985-b3c9-781a-b030af78d30e"]
    ),
    value=st.none() | st.sampled_from(["cenc", "cbcs"]),
    default_kid=st.none() | st.uuids().map(str),
    pssh=st.none() | st.binary(min_size=1, max_size=40),
    license_urls=st.lists(st.just("https://lic.example/x"), max_size=1).map(tuple),
)
_base = st.builds(
    BaseUrl,
    url=st.sampled_from(["https://a.example/", "b/", "../c/"]),
    service_location=st.none() | _name,
    priority=st.none() | st.integers(1, 5),
    weight=st.none() | st.integers(1, 9),
)
_rep = st.builds(
    Representation,
    id=_name,
    bandwidth=st.integers(1, 10**8),
    codecs=st.none() | st.sampled_from(["avc1.64001f", "mp4a.40.2"]),
    width=st.none() | st.integers(1, 4000),
    height=st.none() | st.integers(1, 4000),
    base_urls=st.lists(_base, max_size=2).map(tuple),
    segment_info=st.none() | _template | _segment_list,
    content_protection=st.lists(_protection, max_size=2).map(tuple),
)
_aset = st.builds(
    AdaptationSet,
    id=st.none() | _name,
    content_type=st.none() | st.sampled_from(["video", "audio", "text"]),
    mime_type=st.none() | st.just("video/mp4"),
    lang=st.none() | st.sampled_from(["en", "fr"]),
    roles=st.lists(_descriptor, max_size=2).map(tuple),
    content_protection=st.lists(_protection, max_size=2).map(tuple),
    segment_info=st.none() | _template,
    representations=st.lists(_rep, min_size=1, max_size=3).map(tuple),
)
_period = st.builds(
    Period,
    id=st.none() | _name,
    start=st.none() | st.floats(0, 1e5, allow_nan=False),
    duration=st.none() | st.floats(0.5, 1e4, allow_nan=False),
    base_urls=st.lists(_base, max_size=2).map(tuple),
    adaptation_sets=st.lists(_aset, min_size=1, max_size=3).map(tuple),
)
_manifest = st.builds(
    Manifest,
    url=st.just("https://cdn.example/p/manifest.mpd"),
    type=st.sampled_from(["static", "dynamic"]),
    media_presentation_duration=st.none() | st.floats(1, 1e6, allow_nan=False),
    availability_start_time=st.none()
    | st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    time_shift_buffer_depth=st.none() | st.floats(0, 1e5, allow_nan=False),
    base_urls=st.lists(_base, max_size=2).map(tuple),
    periods=st.lists(_period, min_size=1, max_size=3).map(tuple),
)


@settings(max_examples=120, deadline=None)
@given(_manifest)
def test_generated_models_round_trip(m: Manifest) -> None:
    linked = link(m)
    assert parse_mpd(write_mpd(linked), linked.url) == linked
