"""The response-handling targets by name (:mod:`tests.fuzz.responses` for the JSON APIs,
:mod:`tests.fuzz.streams` for the media channels), joined into
:data:`tests.fuzz.targets.TARGETS`."""

from __future__ import annotations

import random
from collections.abc import Callable

from mediacore.errors import SdkError
from tests.fuzz import responses as r
from tests.fuzz import streams as s
from tests.fuzz.jsonmut import mutate_after_line
from tests.fuzz.target import Target

_TYPED = (SdkError,)


def _target(
    name: str,
    run: Callable[[bytes], None],
    seeds: Callable[[], list[bytes]],
    json_head: int | None = None,
) -> Callable[[], Target]:
    """``json_head``: the body after that many framing bytes is JSON (-1: after the first
    line); None: not JSON."""
    mutate: Callable[[bytes, random.Random], bytes] | None = None
    if json_head == -1:
        mutate = mutate_after_line
    elif json_head is not None:
        mutate = r.json_mutator(json_head)
    return lambda: Target(name, run, _TYPED, seeds, mutate)


RESPONSE_TARGETS: dict[str, Callable[[], Target]] = {
    "login": _target("login", r.fuzz_login, r._login_seeds, 2),
    "play_api": _target("play_api", r.fuzz_play_api, r._play_seeds, 1),
    "license": _target("license", r.fuzz_license, r._license_seeds, 2),
    "discovery": _target("discovery", r.fuzz_discovery, r._discovery_seeds, 2),
    "error_body": _target("error_body", r.fuzz_error_body, r._error_seeds, -1),
    "oca_error_body": _target("oca_error_body", r.fuzz_oca_error_body, r._oca_error_seeds, 0),
    "mpd_open": _target("mpd_open", s.fuzz_mpd_open, s._mpd_open_seeds),
    "mpd_refresh": _target("mpd_refresh", s.fuzz_mpd_refresh, s._mpd_refresh_seeds),
    "utc_timing": _target("utc_timing", s.fuzz_utc_timing, s._utc_seeds),
    "steering_client": _target(
        "steering_client", s.fuzz_steering_client, s._steering_client_seeds, -1
    ),
    "segment_index": _target("segment_index", s.fuzz_segment_index, s._segment_index_seeds),
    "segment_media": _target("segment_media", s.fuzz_segment_media, s._segment_media_seeds),
    "subtitles": _target("subtitles", s.fuzz_subtitles, s._subtitle_seeds),
    "thumbnails": _target("thumbnails", s.fuzz_thumbnails, s._thumbnail_seeds),
}
"""One target per channel of the player's response handling."""

RESPONSE_KNOWN_TARGETS: dict[str, str] = {}
"""Targets whose generated inputs still find an open finding (xfail, not strict)."""
RESPONSE_KNOWN_INPUTS: dict[str, str] = {}
