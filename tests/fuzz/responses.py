"""Fuzz targets for the player's response handling, one per channel: the bytes a server
answers go into the same function the player calls with them (login, Play API, license,
discovery, error bodies, the MPD with its xlink Periods and refreshes, UTCTiming, steering,
the segment index, init and media segments, subtitles, thumbnails).

Inputs are framed: the first byte picks the HTTP status (:data:`tests.fuzz.wire.STATUSES`,
mostly 200), some targets take a second byte (which call, which scheme), and the rest is the
body. Beyond "typed errors only, within budget", each target checks the values it got back
have their declared types (a finite number where a number is promised, 16-byte KIDs, ...):
a wrong-typed value taken silently is a finding too."""

from __future__ import annotations

import contextlib
import functools
import json
import math
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tests.fuzz.jsonmut import mutate_tail
from tests.fuzz.wire import Reply, ScriptedChannel, ScriptedTransport, drive, status_of

GATEWAY = "https://gw.example"
_SESSION_KEY = bytes(range(32))
_KID = bytes(range(16))
_KEY = bytes(range(16, 32))
_LOGIN = {
    "token_type": "Bearer",
    "access_token": "acc.ess",
    "expires_in": 900,
    "refresh_token": "re-fresh",
    "session_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    "device_id": "dev_1",
    "plan": "premium",
    "entitled": True,
    "profiles": [{"id": "p1", "name": "A"}],
}


def _json(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _finite(x: object) -> bool:
    return isinstance(x, float | int) and not isinstance(x, bool) and math.isfinite(x)


def json_mutator(head: int) -> Callable[[bytes, random.Random], bytes]:
    """The structure-aware mutator of a target whose body follows ``head`` framing bytes."""
    return functools.partial(mutate_tail, head=head)


# ---------------------------------------------------------------------- login, refresh


async def _logged_in(channel: ScriptedChannel) -> Any:
    from nrdp.auth import AuthSession
    from nrdp.testing import FakeClock

    auth = AuthSession(GATEWAY, "dev_1", clock=FakeClock(100.0), wall=lambda: 1000.0)
    script = channel.script
    channel.script = lambda method, url: Reply(_json(_LOGIN))
    await auth.login(channel, "a@example.com", "pw")  # type: ignore[arg-type]
    channel.script = script
    return auth


def fuzz_login(data: bytes) -> None:
    """Byte 1 even: the login answer; odd: the refresh answer after a good login."""
    from nrdp.auth import AuthSession

    body = data[2:]
    channel = ScriptedChannel(lambda method, url: Reply(body, status_of(data)))

    async def run() -> AuthSession:
        if len(data) > 1 and data[1] & 1:
            auth = await _logged_in(channel)
            await auth.refresh(channel)
            return auth
        auth = AuthSession(GATEWAY, "dev_1")
        account = await auth.login(channel, "a@example.com", "pw")  # type: ignore[arg-type]
        assert isinstance(account.device_id, str) and isinstance(account.plan, str)
        assert isinstance(account.entitled, bool)
        assert all(isinstance(p, dict) for p in account.profiles)
        return auth

    auth = drive(run())
    assert auth.logged_in and _finite(auth.token_expires_at), "tokens without a finite expiry"


def _login_seeds() -> list[bytes]:
    refresh = {k: _LOGIN[k] for k in ("token_type", "access_token", "expires_in", "refresh_token")}
    return [b"\0\0" + _json(_LOGIN), b"\0\1" + _json(refresh)]


# ---------------------------------------------------------------------------- Play API


def _play_doc() -> dict[str, Any]:
    return {
        "playback_id": "pb-1",
        "title_id": "t1",
        "expires_at": 15400,
        "playback_token": "tok",
        "max_height": 720,
        "manifest": {"mpd_path": "t1/manifest.mpd", "mpd_url": "https://oca-1.example/t1/m.mpd"},
        "oca_candidates": [
            {"oca_id": "oca-1", "base_url": "https://oca-1.example/", "rank": 0},
            {"oca_id": "oca-2", "base_url": "https://oca-2.example/", "rank": 1},
        ],
        "steering": {"server_url": "https://gw.example/steering/v1/steer", "ttl_s": 30},
        "license": {
            "url": "https://gw.example/license/v1/clearkey",
            "headers": {"X-Nrdp-Playback-Token": "tok"},
        },
        "drm": {"scheme": "cenc", "kids": [_KID.hex()]},
        "experiment": {
            "cell": "b",
            "params": {"abr": "bola", "gamma_p_s": 5.0, "buffer_target_s": 12},
        },
    }


def _check_playback_manifest(pm: Any) -> None:
    for name in ("playback_id", "title_id", "mpd_url", "mpd_path", "license_url"):
        assert isinstance(getattr(pm, name), str), name
    assert pm.drm_scheme is None or isinstance(pm.drm_scheme, str), "drm_scheme"
    assert all(isinstance(k, bytes) and len(k) == 16 for k in pm.kids), "kids"
    assert pm.max_height is None or (type(pm.max_height) is int and pm.max_height > 0)
    assert pm.expires_at is None or _finite(pm.expires_at), "expires_at"
    assert pm.steering_ttl is None or (_finite(pm.steering_ttl) and pm.steering_ttl > 0)
    assert pm.ocas and all(type(o.rank) is int for o in pm.ocas), "ocas"
    for k, v in pm.license_headers.items():
        text = f"{k}{v.reveal()}"
        assert "\r" not in text and "\n" not in text and "\0" not in text, "header"


def fuzz_play_api(data: bytes) -> None:
    """The Play API's answer (signed as the backend signs it) to ``fetch_playback_manifest``,
    then the ABR algorithm its A/B cell names, built as the player builds it."""
    import abr.registry
    from mediacore.errors import AbrError
    from nrdp.playback.play_api import fetch_playback_manifest

    body = data[1:]
    channel = ScriptedChannel(lambda method, url: Reply(body, status_of(data)), _SESSION_KEY)

    async def run() -> Any:
        auth = await _logged_in(channel)
        return await fetch_playback_manifest(channel, auth, "t1")  # type: ignore[arg-type]

    pm = drive(run())
    _check_playback_manifest(pm)
    _route(pm)
    if pm.abr_algorithm:  # the player's ABR from the A/B cell (Player._make_abr)
        with contextlib.suppress(AbrError):
            abr.registry.create(pm.abr_algorithm, **dict(pm.abr_params))


def _route(pm: Any) -> None:
    """What ``routes.open_title`` builds from the Play API's values before the MPD arrives:
    the OCA selector, the MPD's URL on each OCA, the failover locations and the root."""
    from manifest import parse_mpd
    from nrdp.delivery.oca import OcaSelector
    from nrdp.opening import locations_for, root_of
    from tests.fuzz.targets import _MPD

    OcaSelector(list(pm.ocas))
    urls = [oca.url_for(pm.mpd_path) for oca in pm.ocas]
    for url, oca in zip(urls, pm.ocas, strict=True):
        got, base = urlsplit(url), urlsplit(oca.url)
        assert (got.scheme, got.netloc) == (base.scheme, base.netloc), "MPD path leaves its OCA"
    manifest = parse_mpd(_MPD, urls[0])
    locations = locations_for(manifest, urls[0], pm.ocas)
    assert [o.id for o in locations[: len(pm.ocas)]] == [o.id for o in pm.ocas]
    root_of(pm.ocas[0])


def _play_seeds() -> list[bytes]:
    bare = {k: v for k, v in _play_doc().items() if k in ("playback_id", "title_id", "license")}
    bare |= {
        "manifest": {"mpd_url": "https://o.example/m.mpd"},
        "oca_candidates": [{"oca_id": "o", "base_url": "https://o.example/"}],
    }
    return [b"\0" + _json(_play_doc()), b"\0" + _json(bare)]


# ------------------------------------------------------------------------------ license


def fuzz_license(data: bytes) -> None:
    """Byte 1 even: the Play API title's license client (signed); odd: a DASH source's
    ClearKey license URL. The rest is the license server's answer."""
    from drm import KeyStore
    from nrdp.opening import clearkey_keys
    from nrdp.playback.license import acquire_license
    from nrdp.playback.play_api import parse_playback_manifest
    from nrdp.source import ClearKey

    body = data[2:]
    channel = ScriptedChannel(lambda method, url: Reply(body, status_of(data)), _SESSION_KEY)

    async def run() -> KeyStore:
        if len(data) > 1 and data[1] & 1:
            drm = ClearKey(license_url="https://lic.example/ck")
            return await clearkey_keys(channel, drm, [_KID], {})  # type: ignore[arg-type]
        auth = await _logged_in(channel)
        pm = parse_playback_manifest(_play_doc())
        return await acquire_license(channel, auth, pm, [_KID])  # type: ignore[arg-type]

    keys = drive(run())
    assert _KID in keys.kids(), "keys without the asked KID"


def _license_seeds() -> list[bytes]:
    from drm.clearkey import build_license_response

    good = build_license_response({_KID: _KEY})
    return [b"\0\0" + good, b"\0\1" + good, b"\x0b\0" + b'{"error":{"code":8150}}']


# ---------------------------------------------------------------------------- discovery

_DISCOVERY_CALLS = ("me", "profiles", "home", "titles", "title", "search", "bookmarks", "mark")


def fuzz_discovery(data: bytes) -> None:
    """Byte 1 picks the call (or, past the list, the artwork with a fuzzed Content-Type
    from the body's first line)."""
    from nrdp.discovery.client import DiscoveryClient

    body = data[2:]
    ctype, _, image = body.partition(b"\n")
    headers = {"Content-Type": ctype.decode("utf-8", "surrogateescape")}
    channel = ScriptedChannel(lambda method, url: Reply(body, status_of(data), headers))
    which = data[1] % (len(_DISCOVERY_CALLS) + 1) if len(data) > 1 else 0

    async def run() -> Any:
        auth = await _logged_in(channel)
        client = DiscoveryClient(channel, auth)  # type: ignore[arg-type]
        if which == len(_DISCOVERY_CALLS):
            channel.script = lambda method, url: Reply(image, status_of(data), headers)
            return await client.artwork("t1")
        name = _DISCOVERY_CALLS[which]
        if name == "mark":
            return await client.set_bookmark("t1", 12.5)
        args = ("t1",) if name in ("title", "search") else ()
        return await getattr(client, name)(*args)

    got = drive(run())
    if which == len(_DISCOVERY_CALLS):
        assert isinstance(got, bytes) and got
    elif _DISCOVERY_CALLS[which] in ("profiles", "bookmarks"):
        assert isinstance(got, list) and all(isinstance(x, dict) for x in got)
    else:
        assert isinstance(got, dict)


def _discovery_seeds() -> list[bytes]:
    return [
        b"\0\0" + _json({"device_id": "d", "plan": "premium"}),
        b"\0\1" + _json({"profiles": [{"id": "p1", "name": "A"}]}),
        b"\0\2" + _json({"rows": [{"title": "Top", "items": [{"id": "t1"}]}], "degraded": []}),
        b"\0\6" + _json({"bookmarks": [{"title_id": "t1", "position_s": 12.5}]}),
        b"\0\x08image/png\n\x89PNG\r\n\x1a\n",
    ]


# ------------------------------------------------------------------------- error bodies

_ERROR_STATUSES = (400, 401, 403, 404, 408, 409, 410, 422, 429, 500, 502, 503)


def fuzz_error_body(data: bytes) -> None:
    """Any server's non-2xx answer through the channel (byte 0: the status; the body's first
    line: ``Retry-After``; the rest: the typed error JSON) must be a well-formed
    ``ServiceError``."""
    from nrdp.channels.http import answer
    from nrdp.errors import ServiceError

    status = _ERROR_STATUSES[data[0] % len(_ERROR_STATUSES)] if data else 500
    retry_after, _, body = data[1:].partition(b"\n")
    headers = {"Retry-After": retry_after.decode("utf-8", "surrogateescape"), "X-Request-Id": "r"}
    try:
        answer(status, f"{GATEWAY}/play/v1/manifest", headers, body)
    except ServiceError as err:
        assert err.status == status
        assert err.server_code is None or type(err.server_code) is int
        assert isinstance(err.server_name, str) and len(err.server_name) <= 64
        assert isinstance(err.request_id, str) and len(err.request_id) <= 64
        assert err.field is None or isinstance(err.field, str)
        assert err.retry_after_s is None or (_finite(err.retry_after_s) and err.retry_after_s >= 0)
        return
    raise AssertionError("a non-2xx answer was accepted")


def _error_seeds() -> list[bytes]:
    err = {"error": {"code": 8130, "name": "NotEntitled", "request_id": "r-1", "field": "x"}}
    return [b"\x02\n" + _json(err), b"\x0b2.5\n" + _json({"error": {"code": 8001}})]


def fuzz_oca_error_body(data: bytes) -> None:
    """An OCA's 403 with an error body, as the segment downloader reads it (its ``error.code``
    decides whether the playback token is renewed)."""
    from mediacore.secret import Secret
    from nrdp.delivery.downloader import Downloader
    from nrdp.delivery.oca import Oca, OcaSelector
    from nrdp.testing import FakeClock

    class Auth:
        async def segment_headers(self) -> dict[str, Any]:
            return {"X-Nrdp-Playback-Token": Secret("tok")}

        async def segment_refused(self, sent: object, code: int | None) -> bool:
            assert code is None or type(code) is int
            return False

    clock = FakeClock()
    transport = ScriptedTransport(lambda method, url: Reply(data, 403), clock)
    selector = OcaSelector([Oca("oca-1", "https://oca-1.example/")])
    downloader = Downloader(transport, selector, clock=clock, auth=Auth(), max_attempts=1)
    drive(downloader.fetch("t1/v1/seg-1.m4s"))


def _oca_error_seeds() -> list[bytes]:
    return [_json({"error": {"code": 8150, "name": "PlaybackTokenInvalid"}})]
