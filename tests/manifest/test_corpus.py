"""Every corpus MPD parses and the facts in expected.json hold (data-driven: more facts,
more checks)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest

from manifest import Manifest, ManifestError, parse_mpd
from manifest.isotime import parse_datetime, parse_duration
from manifest.model import BaseUrl, SegmentBase, SegmentList, SegmentTemplate

REPO_ROOT = Path(__file__).resolve().parents[2]


def _mpd_names() -> list[str]:
    # Parametrisation needs the names at collection time; same lookup as tests/conftest.py.
    root = Path(os.environ.get("NRDP_SHARED_DIR", REPO_ROOT.parent / "shared")) / "corpus"
    data = json.loads((root / "expected.json").read_text())["files"]
    return sorted(k for k, v in data.items() if v["kind"] == "mpd")


MPD_NAMES = _mpd_names()
BASE = "https://cdn.example.com/content/"


def _load(corpus_dir: Path, name: str) -> Manifest:
    return parse_mpd((corpus_dir / name).read_bytes(), BASE + name)


def _dur(text: str | None) -> float | None:
    return None if text is None else parse_duration(text)


def _check_base_urls(
    problems: list[str], where: str, expected: list[Any], actual: tuple[BaseUrl, ...]
) -> None:
    if len(expected) != len(actual):
        problems.append(f"{where}: {len(actual)} BaseURLs, expected {len(expected)}")
        return
    for exp, got in zip(expected, actual, strict=True):
        if isinstance(exp, str):
            exp = {"url": exp}
        if got.url != exp["url"].strip():
            problems.append(f"{where}: BaseURL {got.url!r} != {exp['url']!r}")
        if "serviceLocation" in exp and got.service_location != exp["serviceLocation"]:
            problems.append(f"{where}: serviceLocation {got.service_location!r}")
        if "priority" in exp and got.priority != int(exp["priority"]):
            problems.append(f"{where}: priority {got.priority!r}")
        if "weight" in exp and got.weight != int(exp["weight"]):
            problems.append(f"{where}: weight {got.weight!r}")
        if "availabilityTimeOffset" in exp and got.availability_time_offset != float(
            exp["availabilityTimeOffset"]
        ):
            problems.append(f"{where}: availabilityTimeOffset {got.availability_time_offset!r}")


def _check_rep(problems: list[str], where: str, exp: dict[str, Any], rep: Any) -> None:
    def eq(label: str, got: object, want: object) -> None:
        if got != want:
            problems.append(f"{where}: {label} {got!r} != expected {want!r}")

    eq("id", rep.id, exp["id"])
    eq("bandwidth", rep.bandwidth, exp["bandwidth"])
    if exp["codecs"] is not None:
        eq("codecs", rep.codecs, exp["codecs"])
    _check_base_urls(problems, where, exp["BaseURLs"], rep.base_urls)
    info = rep.addressing
    kinds = {
        "SegmentTemplate": SegmentTemplate,
        "SegmentList": SegmentList,
        "SegmentBase": SegmentBase,
    }
    if exp["addressing"] in (None, "BaseURL-only"):
        eq("addressing", info, None)
        return
    if not isinstance(info, kinds[exp["addressing"]]):
        problems.append(f"{where}: addressing {type(info).__name__} != {exp['addressing']}")
        return
    if "media" in exp:
        eq("media", info.media, exp["media"])
    if "initialization" in exp:
        eq("initialization", info.initialization, exp["initialization"])
    if "timescale" in exp:
        eq("timescale", info.timescale or 1, exp["timescale"])
    if "startNumber" in exp:
        eq(
            "startNumber",
            info.start_number if info.start_number is not None else 1,
            exp["startNumber"],
        )
    if "duration" in exp:
        eq("duration", info.duration, exp["duration"])
    if "indexRange" in exp:
        eq("indexRange", str(info.index_range) if info.index_range else None, exp["indexRange"])
    if "initialization_range" in exp:
        rng = info.initialization.range if info.initialization else None
        eq("initialization range", str(rng) if rng else None, exp["initialization_range"])
    if "segment_urls" in exp:
        eq("SegmentURL count", len(info.segment_urls), exp["segment_urls"])
    if "timeline_S_elements" in exp:
        tl = info.timeline
        eq("S elements", len(tl), exp["timeline_S_elements"])
        eq("first t", tl.first_time, exp["timeline_first_t"])
        if not tl.open_ended:
            eq("timeline segments", sum(r + 1 for _, _, r in tl.entries), exp["timeline_segments"])


def _check_protection(problems: list[str], where: str, exp: list[Any], got: tuple) -> None:
    if len(exp) != len(got):
        problems.append(f"{where}: {len(got)} ContentProtection, expected {len(exp)}")
        return
    for e, g in zip(exp, got, strict=True):
        if g.scheme_id_uri != e["schemeIdUri"]:
            problems.append(f"{where}: scheme {g.scheme_id_uri!r} != {e['schemeIdUri']!r}")
        if g.value != e["value"]:
            problems.append(f"{where}: value {g.value!r} != {e['value']!r}")
        if "default_KID" in e and g.default_kid != e["default_KID"].lower():
            problems.append(f"{where}: default_KID {g.default_kid!r} != {e['default_KID']!r}")
        if "pssh_b64_len" in e:
            got_len = len(base64.b64encode(g.pssh)) if g.pssh else 0
            if got_len != e["pssh_b64_len"]:
                problems.append(f"{where}: pssh base64 length {got_len} != {e['pssh_b64_len']}")
            if g.pssh and g.pssh[4:8] != b"pssh":
                problems.append(f"{where}: cenc:pssh is not a pssh box")


def check_facts(m: Manifest, facts: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def eq(label: str, got: object, want: object) -> None:
        if got != want:
            problems.append(f"{label}: {got!r} != expected {want!r}")

    eq("type", m.type, facts["type"])
    eq("profiles", m.profiles, facts["profiles"])
    eq(
        "mediaPresentationDuration",
        m.media_presentation_duration,
        _dur(facts["mediaPresentationDuration"]),
    )
    if facts.get("availabilityStartTime"):
        eq(
            "availabilityStartTime",
            m.availability_start_time,
            parse_datetime(facts["availabilityStartTime"]),
        )
    if "minimumUpdatePeriod" in facts:
        eq("minimumUpdatePeriod", m.minimum_update_period, _dur(facts["minimumUpdatePeriod"]))
    _check_base_urls(problems, "MPD", facts["mpd_level_BaseURLs"], m.base_urls)
    eq("Location", list(m.locations), facts["Location"])
    eq("UTCTiming", [u.scheme_id_uri for u in m.utc_timings], facts["UTCTiming"])
    counts = facts["counts"]
    eq("period count", len(m.periods), counts["periods"])
    eq(
        "adaptation set count",
        sum(len(p.adaptation_sets) for p in m.periods),
        counts["adaptation_sets"],
    )
    eq("representation count", len(list(m.representations())), counts["representations"])
    n_base = len(m.base_urls) + sum(
        len(p.base_urls)
        + sum(
            len(a.base_urls) + sum(len(r.base_urls) for r in a.representations)
            for a in p.adaptation_sets
        )
        for p in m.periods
    )
    eq("BaseURL elements", n_base, counts["BaseURL_elements"])
    for i, (pe, p) in enumerate(zip(facts["periods"], m.periods, strict=False)):
        pw = f"Period[{i}]"
        eq(f"{pw} id", p.id, pe["id"])
        eq(f"{pw} start", p.start, _dur(pe["start"]))
        eq(f"{pw} duration", p.duration, _dur(pe["duration"]))
        _check_base_urls(problems, pw, pe["BaseURLs"], p.base_urls)
        eq(
            f"{pw} event streams",
            [(s.scheme_id_uri, len(s.events)) for s in p.event_streams],
            [(s["schemeIdUri"], s["events"]) for s in pe["EventStreams"]],
        )
        for j, (ae, a) in enumerate(zip(pe["adaptation_sets"], p.adaptation_sets, strict=False)):
            aw = f"{pw}/AS[{j}]"
            eq(f"{aw} id", a.id, ae["id"])
            eq(f"{aw} contentType", a.content_type, ae["contentType"])
            eq(f"{aw} mimeType", a.mime_type, ae["mimeType"])
            eq(f"{aw} lang", a.lang, ae["lang"])
            _check_base_urls(problems, aw, ae["BaseURLs"], a.base_urls)
            eq(f"{aw} roles", [r.value for r in a.roles], ae["roles"])
            for key, attr in (
                ("accessibility", "accessibility"),
                ("essential", "essential_properties"),
                ("supplemental", "supplemental_properties"),
            ):
                eq(f"{aw} {key}", [[d.scheme_id_uri, d.value] for d in getattr(a, attr)], ae[key])
            # The facts list every ContentProtection inside the set, Representation ones too.
            protection = list(a.content_protection)
            for r in a.representations:
                protection += [c for c in r.content_protection if c not in protection]
            _check_protection(problems, aw, ae["content_protection"], tuple(protection))
            eq(f"{aw} representation count", len(a.representations), len(ae["representations"]))
            for k, (re_, r) in enumerate(
                zip(ae["representations"], a.representations, strict=False)
            ):
                _check_rep(problems, f"{aw}/Rep[{k}]", re_, r)
    return problems


@pytest.mark.parametrize("name", MPD_NAMES)
def test_corpus_mpd_facts(corpus_dir: Path, expected: dict[str, Any], name: str) -> None:
    m = _load(corpus_dir, name)
    problems = check_facts(m, expected[name]["facts"])
    assert problems == []


@pytest.mark.parametrize("name", MPD_NAMES)
def test_corpus_mpd_addressing_never_crashes(corpus_dir: Path, name: str) -> None:
    """Every representation either yields segment refs or says why with a typed error."""
    m = _load(corpus_dir, name)
    addressed = 0
    for rep in m.representations():
        try:
            count = rep.segment_count()
        except ManifestError:
            continue
        addressed += 1
        if count:
            first = rep.segment_at(rep.index()[0].start)
            assert first.position == 0
            last = rep.index()[count - 1]
            assert rep.segment_at(last.start + last.duration / 2).position == count - 1
    if any(isinstance(r.addressing, SegmentTemplate | SegmentList) for r in m.representations()):
        assert addressed or m.is_dynamic


# ----------------------------------------------------------------------------- repo facts
# Values asserted by the source repositories' own tests (paths in expected.json).


def _repo(expected: dict[str, Any], name: str) -> dict[str, Any]:
    return expected[name]["repo_facts"]


def test_clearkey_license_urls(corpus_dir: Path, expected: dict[str, Any]) -> None:
    name = "mpd/androidx__sample_mpd_clear_key_license_url.mpd"
    facts = _repo(expected, name)
    m = _load(corpus_dir, name)
    urls = []
    for a in m.periods[0].adaptation_sets:
        rep = a.representations[0]
        clearkey = [c for c in rep.content_protection if c.system_id == CLEARKEY]
        assert len(clearkey) == 1
        urls.append(clearkey[0].license_url)
        mp4 = [c for c in rep.content_protection if c.is_mp4protection]
        assert mp4[0].scheme == facts["drm_scheme_type"]
    assert urls == facts["license_urls"]
    assert len(m.periods) == facts["periods"]
    assert len(m.periods[0].adaptation_sets) == facts["adaptation_sets"]


CLEARKEY = "e2719d58-a985-b3c9-781a-b030af78d30e"


def test_dashif_laurl_in_undeclared_namespace(corpus_dir: Path) -> None:
    m = _load(corpus_dir, "mpd/androidx__sample_mpd_dashif_license_url.mpd")
    urls = [
        c.license_url
        for a in m.periods[0].adaptation_sets
        for c in a.representations[0].content_protection
        if c.license_url
    ]
    assert urls == [
        "https://testserver1.test/AcquireLicense",
        "https://testserver2.test/AcquireLicense",
    ]
    assert any(w.kind.value == "recovered_xml" for w in m.warnings)


def test_event_streams(corpus_dir: Path, expected: dict[str, Any]) -> None:
    name = "mpd/androidx__sample_mpd_event_stream.mpd"
    facts = _repo(expected, name)
    m = _load(corpus_dir, name)
    streams = m.periods[0].event_streams
    assert len(streams) == facts["period0_event_streams"]
    for i in (0, 1):
        want = facts[f"stream{i}"]
        s = streams[i]
        assert (s.scheme_id_uri, s.value, len(s.events)) == (
            want["schemeIdUri"],
            want["value"],
            want["events"],
        )
        if "timescale" in want:
            # expected.json names it "timescale", but the ExoPlayer assertion it comes from is
            # EventMessage(scheme, value, durationMs=10000, ...): the event duration in ms.
            ev = s.events[0]
            assert ev.duration is not None
            assert ev.duration * 1000 // s.timescale == want["timescale"]
        assert round(s.event_time(s.events[0]) * 1_000_000) == want["presentationTimeUs"]


def test_image_adaptation_set(corpus_dir: Path, expected: dict[str, Any]) -> None:
    name = "mpd/androidx__sample_mpd_images.mpd"
    facts = _repo(expected, name)
    m = _load(corpus_dir, name)
    reps = m.periods[0].adaptation_sets[0].representations
    for i, rep in enumerate(reps):
        want = facts[f"rep{i}"]
        assert (rep.mime_type, rep.width, rep.height) == (want["mime"], want["w"], want["h"])
        tiles = [d.value for d in rep.essential_properties if "thumbnail_tile" in d.scheme_id_uri]
        assert tiles == [want["tiles"]]


def test_labels(corpus_dir: Path, expected: dict[str, Any]) -> None:
    name = "mpd/androidx__sample_mpd_labels.mpd"
    m = _load(corpus_dir, name)
    labels = [lb.text for a in m.periods[0].adaptation_sets for lb in a.labels]
    assert labels == _repo(expected, name)["labels"]


def test_multiple_base_urls_resolution(corpus_dir: Path, expected: dict[str, Any]) -> None:
    name = "mpd/androidx__sample_mpd_multiple_baseUrls.mpd"
    facts = _repo(expected, name)
    m = parse_mpd((corpus_dir / name).read_bytes(), facts["manifest_uri"])
    sets = m.periods[0].adaptation_sets
    cands = sets[0].representations[0].base_url_candidates
    assert len(cands) == len(facts["AS0_rep0_resolved_baseUrls_endswith"])
    for c, suffix in zip(cands, facts["AS0_rep0_resolved_baseUrls_endswith"], strict=True):
        assert c.url.endswith(suffix)
    assert [c.service_location for c in cands] == facts["AS0_serviceLocations"]
    video = sets[1].representations[0].base_url_candidates
    assert len(video) == facts["AS1_rep0_baseUrls_count"]
    assert video[-1].url.endswith(facts["AS1_rep0_last_endswith"])
    assert video[-1].weight == 4 and video[-1].service_location == "d"
    text = sets[2].representations[0].base_url_candidates
    assert [c.url for c in text] == ["http://video.com/baseUrl/e/text/"]


def test_trick_play_properties(corpus_dir: Path, expected: dict[str, Any]) -> None:
    name = "mpd/androidx__sample_mpd_trick_play.mpd"
    facts = _repo(expected, name)
    sets = _load(corpus_dir, name).periods[0].adaptation_sets
    e = sets[2].essential_properties[0]
    s = sets[3].supplemental_properties[0]
    assert [e.scheme_id_uri, e.value] == facts["AS2_essential"]
    assert [s.scheme_id_uri, s.value] == facts["AS3_supplemental"]


@pytest.mark.parametrize(
    "name", ["mpd/shakaplayer__dash-aes-128.mpd", "cenc/shakaplayer_dash-clearkey/dash.mpd"]
)
def test_shaka_is_live(corpus_dir: Path, expected: dict[str, Any], name: str) -> None:
    facts = _repo(expected, name)
    m = _load(corpus_dir, name)
    assert m.is_dynamic is facts["isLive"]
    for kid in facts.get("clearKeys", {}):
        kids = {c.default_kid_bytes for r in m.representations() for c in r.content_protection}
        assert bytes.fromhex(kid) in kids
