"""manifest benchmarks: MPD parse time against lxml and the PyPI ``mpegdash`` parser, and
``segment_at`` scaling.

Documents are generated here (deterministic); each row's name says its shape:

* ``timeline20k_x5reps_live`` (the issue's document, as far as it can be reconstructed):
  5 Representations, each with its own 20,000-entry SegmentTimeline (100,000 ``S`` in all),
  ``t`` on every ``S`` (as live packagers write them), ``r`` only where not 0,
  pretty-printed (one element per line, as packagers emit). mpegdash's peak memory on it,
  under tracemalloc, is 199 MiB (the issue: 196 MiB); the compact sparse-``t`` document
  gives 135 MiB, the pretty one with ``r="0"`` written out 218 MiB. Under tracemalloc
  pure-Python mpegdash also runs ~4x slower, while lxml's C allocations are not traced
  (one run here: 6.8 s traced, 168x lxml; 1.8 s untraced). The issue's 2.6 s (79x) was
  most likely timed with tracing on; every row here is untraced.
* ``timeline20k`` (compact): one 20,000-entry timeline on the AdaptationSet shared by the
  5 Representations, ``t`` on every 50th ``S``, no whitespace between elements.
* ``timeline20k_x5reps`` (compact): the same, one timeline per Representation.
* ``100periods_pretty`` / ``100periods`` (compact): 100 Periods, each with its own BaseURL
  and the same 3 video + 1 audio + 1 text Representations (``$Number$`` + ``@duration``),
  pretty-printed or without whitespace. Every Period repeats the first one's
  AdaptationSets, which the parser reuses (see docs/manifest.md, "Repeated Periods").
* ``100periods_distinct`` (compact): the same, but the video SegmentTemplate's startNumber
  continues from Period to Period, so only the audio and text sets repeat: what the
  parser costs when Periods are not copies of each other.

Baselines, same run, same bytes: ``lxml.etree.fromstring`` (the floor: just building the
tree; target: parse_mpd takes at most 3x as long, i.e. ratio >= 0.333) and
``mpegdash.parser.MPEGDASHParser.parse`` (target: 20x faster). Figures are the minimum over
rounds (see ``_best``): the machine is shared, and the minimum is the least disturbed
figure. On the multi-MB documents ``lxml.etree.fromstring`` (default parser) is sometimes
~40% faster for a while after earlier big parses in the process; an explicitly configured
parser, like the hardened one parse_mpd uses, did not show this (cause not pinned down), so
their ``_vs_lxml`` ratio moves between ~0.6 and ~1.0 from run to run.
SegmentTimelines are decoded lazily, so timeline documents also report parse plus the first
``segment_at`` (full decode) and ``eager_timelines=True``; these have no target but show
what laziness buys. ``lxml_floor_*`` rows put lxml alone against mpegdash (no target): the
ceiling of the ``_vs_mpegdash`` ratio for a parser that builds the whole lxml tree, which
parse_mpd no longer does where it can avoid it: repeated Period bodies and plain
SegmentTimeline bodies are cut out of the bytes before lxml runs (docs/manifest.md), so its
rows can beat the floor.
``segment_at``: a 100,000-segment representation against a 1,000-segment one (O(log n) gives
a ratio near 0.6; a linear scan would give 0.01).
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable, Mapping

from lxml import etree

from benchmarks.harness import Result, benchmark, scaled, time_call
from manifest import Representation, parse_mpd

NS = 'xmlns="urn:mpeg:dash:schema:mpd:2011"'
ENTRIES = scaled(20_000, 200)
PERIODS = scaled(100, 5)
LOOKUP_SIZES = scaled((1_000, 100_000), (100, 1_000))


def timeline_mpd(
    entries: int = ENTRIES,
    reps: int = 5,
    *,
    per_representation: bool = False,
    t_every: int = 50,
    zero_r: bool = True,
) -> bytes:
    """``per_representation``: each Representation has its own ``entries``-entry timeline
    (else one on the AdaptationSet). ``t_every``: ``S@t`` on every n-th entry (1: on all).
    ``zero_r``: write ``r="0"`` (packagers usually leave it out)."""
    rnd = random.Random(7)
    s = []
    t = 0
    for i in range(entries):
        d = rnd.choice((180000, 180000, 180000, 179820, 180180))
        r = rnd.choice((0, 0, 1, 2))
        t_attr = f't="{t}" ' if i % t_every == 0 else ""
        r_attr = f' r="{r}"' if r or zero_r else ""
        s.append(f'<S {t_attr}d="{d}"{r_attr}/>')
        t += d * (r + 1)
    total = t / 90000
    template = (
        '<SegmentTemplate timescale="90000" media="$RepresentationID$/$Time$.m4s"'
        ' initialization="$RepresentationID$/init.mp4"><SegmentTimeline>'
        + "".join(s)
        + "</SegmentTimeline></SegmentTemplate>"
    )
    rep_xml = "".join(
        f'<Representation id="v{i}" bandwidth="{(i + 1) * 800_000}" codecs="avc1.64001f"'
        f' width="{640 * (i + 1) // 2}" height="{360 * (i + 1) // 2}"'
        + (f">{template}</Representation>" if per_representation else "/>")
        for i in range(reps)
    )
    return (
        f'<?xml version="1.0"?><MPD {NS} type="static" mediaPresentationDuration="PT{total}S"'
        ' minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:isoff-live:2011"><Period id="0">'
        '<AdaptationSet id="0" contentType="video" mimeType="video/mp4">'
        + ("" if per_representation else template)
        + rep_xml
        + "</AdaptationSet></Period></MPD>"
    ).encode()


def pretty(data: bytes) -> bytes:
    """``data`` indented two spaces a level, one element per line (packager style)."""
    root = etree.fromstring(data)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def multi_period_mpd(periods: int = PERIODS, *, distinct: bool = False) -> bytes:
    """``distinct``: the video SegmentTemplate's startNumber continues the numbering from
    Period to Period, so no Period's AdaptationSets repeat an earlier Period's text."""
    out = [
        f'<?xml version="1.0"?><MPD {NS} xmlns:cenc="urn:mpeg:cenc:2013" type="static"'
        f' mediaPresentationDuration="PT{periods * 30}S" minBufferTime="PT2S">'
        "<BaseURL>https://cdn.example/c/</BaseURL>"
    ]
    for p in range(periods):
        out.append(f'<Period id="p{p}" duration="PT30S"><BaseURL>p{p}/</BaseURL>')
        out.append(
            '<AdaptationSet id="1" contentType="video" mimeType="video/mp4"'
            ' segmentAlignment="true">'
            '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"'
            ' cenc:default_KID="31323334-3536-3738-3930-313233343536"/>'
            '<SegmentTemplate timescale="90000" duration="180000"'
            f' startNumber="{p * 15 + 1 if distinct else 1}"'
            ' media="$RepresentationID$/$Number%05d$.m4s"'
            ' initialization="$RepresentationID$/i.mp4"/>'
        )
        for i, (w, h, bw) in enumerate(((640, 360, 800), (1280, 720, 2500), (1920, 1080, 5000))):
            out.append(
                f'<Representation id="v{i}" bandwidth="{bw}000" codecs="avc1.64001f"'
                f' width="{w}" height="{h}" frameRate="25" sar="1:1"/>'
            )
        out.append(
            '</AdaptationSet><AdaptationSet id="2" contentType="audio" mimeType="audio/mp4"'
            ' lang="en"><Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"/>'
            '<SegmentTemplate timescale="48000" duration="96000" media="a/$Number$.m4s"'
            ' initialization="a/i.mp4"/><Representation id="a" bandwidth="128000"'
            ' codecs="mp4a.40.2" audioSamplingRate="48000"><AudioChannelConfiguration'
            ' schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>'
            '</Representation></AdaptationSet><AdaptationSet id="3" contentType="text"'
            ' mimeType="application/mp4" lang="en"><SegmentTemplate timescale="1000"'
            ' duration="2000" media="t/$Number$.m4s" initialization="t/i.mp4"/>'
            '<Representation id="t" bandwidth="1000" codecs="wvtt"/></AdaptationSet></Period>'
        )
    out.append("</MPD>")
    return "".join(out).encode()


def _best(fns: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Minimum seconds per call of each function over ``rounds`` rounds.

    Each round runs every function twice in a row (order rotating): what ran just before
    sets the allocator's state (a freed 50 MB tree may or may not have been returned to
    the OS) and with it a call's time by up to 40%, so the second, self-preceded call
    gives every function the same conditions.
    """
    rounds = scaled(rounds, 1)
    best = dict.fromkeys(fns, float("inf"))
    order = list(fns.items())
    for i in range(rounds):
        for name, fn in order[i % len(order) :] + order[: i % len(order)]:
            for _ in range(2):
                gc.collect()
                gc.disable()
                try:
                    t0 = time.perf_counter()
                    fn()
                    best[name] = min(best[name], time.perf_counter() - t0)
                finally:
                    gc.enable()
    return best


def _parse_results(label: str, data: bytes, *, first_lookup: bool, rounds: int) -> list[Result]:
    from mpegdash.parser import MPEGDASHParser

    text = data.decode()
    url = "https://cdn.example/m.mpd"
    t = _best(
        {"lxml": lambda: etree.fromstring(data), "ours": lambda: parse_mpd(data, url)}, rounds
    )
    t_lxml, t_ours = t["lxml"], t["ours"]
    if first_lookup:
        # Timed apart: interleaving these allocation-heavy calls makes the heap state
        # (not the code) favour lxml's default parser by up to 20%.

        def parse_and_lookup() -> None:
            m = parse_mpd(data, url)
            next(m.representations()).segment_at(scaled(1000.0, 10.0))

        fns = {
            "full": parse_and_lookup,
            "eager": lambda: parse_mpd(data, url, eager_timelines=True),
        }
        t.update(_best(fns, max(2, rounds // 2)))
    t_mpegdash = _best({"mpegdash": lambda: MPEGDASHParser.parse(text)}, 1)["mpegdash"]
    size = f"{len(data) / 1e6:.2f} MB"
    results = [
        Result(
            name=f"manifest.parse_{label}_vs_lxml",
            figure=t_ours * 1e3,
            unit="ms",
            baseline_name="lxml.etree.fromstring",
            baseline=t_lxml * 1e3,
            higher_is_better=False,
            target=1 / 3,
            notes=f"{size}; ratio = lxml time / parse_mpd time; >= 0.333 means <= 3x lxml",
        ),
        Result(
            name=f"manifest.parse_{label}_vs_mpegdash",
            figure=t_ours * 1e3,
            unit="ms",
            baseline_name="mpegdash MPEGDASHParser.parse",
            baseline=t_mpegdash * 1e3,
            higher_is_better=False,
            target=20.0,
            notes=f"{size}; ratio = mpegdash time / parse_mpd time",
        ),
        Result(
            name=f"manifest.lxml_floor_{label}_vs_mpegdash",
            figure=t_lxml * 1e3,
            unit="ms",
            baseline_name="mpegdash MPEGDASHParser.parse",
            baseline=t_mpegdash * 1e3,
            higher_is_better=False,
            notes=(
                "lxml.etree.fromstring alone against mpegdash: the most any parser building "
                "an lxml tree can reach in the _vs_mpegdash row"
            ),
        ),
    ]
    if first_lookup:
        results += [
            Result(
                name=f"manifest.parse_{label}_plus_first_segment_at_vs_lxml",
                figure=t["full"] * 1e3,
                unit="ms",
                baseline_name="lxml.etree.fromstring",
                baseline=t_lxml * 1e3,
                higher_is_better=False,
                notes="parse + first segment_at: includes decoding that timeline's S entries",
            ),
            Result(
                name=f"manifest.parse_{label}_eager_vs_mpegdash",
                figure=t["eager"] * 1e3,
                unit="ms",
                baseline_name="mpegdash MPEGDASHParser.parse",
                baseline=t_mpegdash * 1e3,
                higher_is_better=False,
                notes="eager_timelines=True: every S decoded during parse",
            ),
        ]
    return results


@benchmark
def parse_timeline_20000_x5_live() -> list[Result]:
    data = pretty(timeline_mpd(per_representation=True, t_every=1, zero_r=False))
    return _parse_results("timeline20k_x5reps_live", data, first_lookup=True, rounds=3)


@benchmark
def parse_timeline_20000() -> list[Result]:
    return _parse_results("timeline20k", timeline_mpd(), first_lookup=True, rounds=4)


@benchmark
def parse_timeline_20000_per_representation() -> list[Result]:
    data = timeline_mpd(per_representation=True)
    return _parse_results("timeline20k_x5reps", data, first_lookup=True, rounds=3)


@benchmark
def parse_100_periods_pretty() -> list[Result]:
    data = pretty(multi_period_mpd())
    return _parse_results("100periods_pretty", data, first_lookup=False, rounds=16)


@benchmark
def parse_100_periods_distinct() -> list[Result]:
    data = multi_period_mpd(distinct=True)
    return _parse_results("100periods_distinct", data, first_lookup=False, rounds=16)


@benchmark
def parse_100_periods() -> list[Result]:
    return _parse_results("100periods", multi_period_mpd(), first_lookup=False, rounds=16)


def _lookup_rep(segments: int) -> Representation:
    # Varying durations so that every S is its own run: the worst case for run bisection.
    s = '<S t="0" d="2000"/>' + "".join(f'<S d="{2000 + (i % 3)}"/>' for i in range(1, segments))
    data = (
        f'<MPD {NS} type="static" mediaPresentationDuration="PT{segments * 3}S"><Period>'
        '<AdaptationSet><SegmentTemplate timescale="1000" media="$Number$.m4s"><SegmentTimeline>'
        + s
        + '</SegmentTimeline></SegmentTemplate><Representation id="r" bandwidth="1"/>'
        "</AdaptationSet></Period></MPD>"
    ).encode()
    rep = next(parse_mpd(data, "https://x/").representations())
    rep.segment_count()  # decode once, outside the timing
    return rep


@benchmark
def segment_at_scaling() -> list[Result]:
    rnd = random.Random(3)
    timings = {}
    small, large = LOOKUP_SIZES
    for n in (small, large):
        rep = _lookup_rep(n)
        end = rep.index()[n - 1].end
        probes = [rnd.uniform(0, end) for _ in range(scaled(2000, 50))]

        def run(rep: Representation = rep, probes: list[float] = probes) -> None:
            for p in probes:
                rep.segment_at(p)

        timings[n] = time_call(run, repeat=5) / len(probes)
    return [
        Result(
            name="manifest.segment_at_100k_vs_1k",
            figure=timings[large] * 1e6,
            unit="us/lookup",
            baseline_name="segment_at on 1,000 segments",
            baseline=timings[small] * 1e6,
            higher_is_better=False,
            target=0.5,
            notes="ratio = t(1e3)/t(1e5); O(log n) ~0.6, O(n) would be ~0.01",
        )
    ]
