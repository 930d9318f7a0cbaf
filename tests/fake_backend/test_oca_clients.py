"""Per-client fault plans on one OCA: the playback token names the client (its device).

Real HTTP to a real backend: two devices log in, get playback tokens from the Play API and
fetch the same bytes from the same OCA; the control plane gives each its own plan.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from fake_backend.oca.fleet import place
from fake_backend.oca.server import PLAYBACK_TOKEN_HEADER
from fake_backend.play_api.service import PLAYBACK_TOKEN_HEADER as PLAY_API_HEADER

SEG = "v1080/seg-1.m4s"


def _holder(be, title_id: str):
    chosen = set(place(title_id, [n.id for n in be.fleet.nodes], be.config.replicas))
    return next(n for n in be.fleet.nodes if n.id in chosen)


async def _device(http, be, fb, title: str, device_id: str) -> str:
    """A device logged in and playing ``title``: its playback token."""
    c = await fb.login_as(http, be, device_id=device_id)
    status, doc = await c.play(title)
    assert status == 200, doc
    return str(doc["playback_token"])


async def _control(http, be, method: str, oca_id: str, client: str | None = None, plan=None):
    url = f"{be.control_url}/control/v1/ocas/{oca_id}/faults"
    params = {"client": client} if client is not None else None
    async with http.request(method, url, params=params, json=plan) as r:
        return r.status, await r.json()


async def _timed_get(http, url: str, token: str | None) -> tuple[float, int, int]:
    headers = {PLAYBACK_TOKEN_HEADER: token} if token is not None else {}
    t0 = time.perf_counter()
    async with http.get(url, headers=headers) as r:
        data = await r.read()
        return time.perf_counter() - t0, r.status, len(data)


@pytest.fixture
def title(backend):
    return backend.catalog[0].id


def test_the_oca_reads_the_play_api_header():
    assert PLAYBACK_TOKEN_HEADER == PLAY_API_HEADER


async def test_two_clients_on_one_oca_are_paced_by_their_own_plans(backend, http, fb, title):
    node = _holder(backend, title)
    slow = await _device(http, backend, fb, title, "device-slow-0001")
    fast = await _device(http, backend, fb, title, "device-fast-0001")
    size = backend.origin.file_path(title, SEG).stat().st_size
    status, doc = await _control(
        http, backend, "PUT", node.id, "device-slow-0001", {"bandwidth_kbps": 400}
    )
    assert status == 200 and doc["client"] == "device-slow-0001" and doc["scope"] == "client"
    status, doc = await _control(
        http, backend, "PUT", node.id, "device-fast-0001", {"trace": [[0, 200_000]]}
    )
    assert status == 200 and doc["trace"] == [[0.0, 200_000.0]]
    # the OCA's own plan is untouched, and a client without a plan gets it
    assert (await _control(http, backend, "GET", node.id))[1]["bandwidth_kbps"] is None
    _, other = await _control(http, backend, "GET", node.id, "device-other-001")
    assert other["scope"] == "oca" and other["bandwidth_kbps"] is None

    url = f"{node.url}/titles/{title}/{SEG}"
    (t_slow, s1, n1), (t_fast, s2, n2), (t_none, s3, n3) = await asyncio.gather(
        _timed_get(http, url, slow), _timed_get(http, url, fast), _timed_get(http, url, None)
    )
    assert (s1, s2, s3) == (200, 200, 200) and n1 == n2 == n3 == size
    paced = size / (400_000 / 8)  # seconds the slow plan implies for these bytes
    assert t_slow >= 0.6 * paced  # a lower bound: a loaded machine is only slower
    assert t_slow > 3 * t_fast and t_slow > 3 * t_none, (t_slow, t_fast, t_none)

    # clearing the slow client's plan puts it back on the OCA's (healthy) plan
    status, doc = await _control(http, backend, "DELETE", node.id, "device-slow-0001")
    assert status == 200 and doc["scope"] == "oca"
    t_after, s4, _ = await _timed_get(http, url, slow)
    assert s4 == 200 and t_after * 3 < t_slow, (t_after, t_slow)


async def test_a_client_plan_overrides_the_oca_plan_only_for_that_client(backend, http, fb, title):
    node = _holder(backend, title)
    ok = await _device(http, backend, fb, title, "device-ok-000001")
    await _control(http, backend, "PUT", node.id, None, {"error_rate": 1.0, "error_status": 502})
    await _control(http, backend, "PUT", node.id, "device-ok-000001", {})  # healthy for this client
    url = f"{node.url}/titles/{title}/{SEG}"
    assert (await _timed_get(http, url, ok))[1] == 200
    assert (await _timed_get(http, url, None))[1] == 502
    async with http.get(f"{backend.control_url}/control/v1/ocas/{node.id}") as r:
        assert (await r.json())["client_plans"] == 1
    # a plain DELETE heals the OCA for everyone: its plan and every client plan
    status, doc = await _control(http, backend, "DELETE", node.id)
    assert status == 200 and doc["error_rate"] == 0.0 and node.client_plans == {}
    assert (await _timed_get(http, url, None))[1] == 200


async def test_client_trace_clock_starts_at_the_first_request(backend, http, fb, title):
    node = _holder(backend, title)
    tok = await _device(http, backend, fb, title, "device-trace-001")
    await _control(
        http, backend, "PUT", node.id, "device-trace-001", {"trace": [[0, 8000], [5, 100]]}
    )
    assert node.client_plans["device-trace-001"].started_at is None  # no request yet
    before = time.monotonic()
    assert (await _timed_get(http, f"{node.url}/titles/{title}/{SEG}", tok))[1] == 200
    started = node.client_plans["device-trace-001"].started_at
    assert started is not None and started >= before
    # setting the plan again restarts its clock
    await _control(http, backend, "PUT", node.id, "device-trace-001", {"trace": [[0, 8000]]})
    assert node.client_plans["device-trace-001"].started_at is None


async def test_client_plan_requests_are_validated(backend, http, title):
    node = _holder(backend, title)
    status, doc = await _control(http, backend, "PUT", node.id, "dev-x", {"down": True})
    assert status == 400 and "per OCA" in doc["error"]["message"]
    for bad in ("", "x" * 129, "a\nb"):
        status, _ = await _control(http, backend, "PUT", node.id, bad, {"latency_ms": 1})
        assert status == 400
    status, _ = await _control(http, backend, "PUT", node.id, "dev-x", {"nope": 1})
    assert status == 400 and node.client_plans == {}
    status, _ = await _control(http, backend, "GET", "oca-99", "dev-x")
    assert status == 404


async def test_bad_tokens_are_refused_and_no_token_is_served(backend, http, fb, title):
    node = _holder(backend, title)
    url = f"{node.url}/titles/{title}/{SEG}"
    good = await _device(http, backend, fb, title, "device-good-0001")
    assert (await _timed_get(http, url, good))[1] == 200
    assert (await _timed_get(http, url, None))[1] == 200  # no token: allowed by default
    now = time.time()
    claims = {"sub": "acct", "dev": "device-good-0001", "tid": title, "pid": "pb_x"}
    expired = backend.ctx.playback.issue(claims, now=now - 7200, ttl_s=60)  # past any leeway
    other_title = backend.ctx.playback.issue(dict(claims, tid="t-other"), now=now, ttl_s=60)
    access = backend.ctx.access.issue(claims, now=now, ttl_s=60)  # the wrong purpose
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for token, why in (
        (forged, "not genuine"),
        (expired, "expired"),
        (other_title, "another title"),
        (access, "not genuine"),
        ("garbage", "not genuine"),
    ):
        async with http.get(url, headers={PLAYBACK_TOKEN_HEADER: token}) as r:
            doc = await r.json()
            assert r.status == 403, why
            err = fb.error_of(doc)
            assert err["code"] == 8150 and err["name"] == "PlaybackTokenInvalid"
            assert why in err["message"] and token not in err["message"]
    assert node.stats["token_refusals"] == 5


async def test_a_backend_that_requires_tokens_refuses_requests_without(make_backend, http, fb):
    be = await make_backend(config=fb.BackendConfig(oca_require_token=True))
    title = be.catalog[0].id
    node = _holder(be, title)
    url = f"{node.url}/titles/{title}/{SEG}"
    status = (await _timed_get(http, url, None))[1]
    assert status == 403
    tok = await _device(http, be, fb, title, "device-req-00001")
    assert (await _timed_get(http, url, tok))[1] == 200
    # a cache fill between OCAs carries no token and still works
    other = next(n for n in be.fleet.nodes if not n.has_file(title, SEG))
    assert (await _timed_get(http, f"{other.url}/titles/{title}/{SEG}", tok))[1] == 200
    assert other.has_file(title, SEG)
    # a client cannot pass itself off as a cache fill to skip the token
    for forged in ("1", "true", be.fleet.fill_secret[:-1]):
        async with http.get(url, headers={"X-Nrdp-Fill": forged}) as r:
            assert r.status == 403, forged
