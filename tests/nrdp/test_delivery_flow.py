"""The pure delivery pieces driven together, as the downloader will drive them.

Scripted in-memory OCAs (ExoPlayer ``FakeDataSet`` style: per-request faults) serve a
byte range; the selector picks, the policy decides, the resume tracker keeps bytes.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

import pytest

from mediacore.errors import SdkError
from nrdp.channels.retry import Backoff
from nrdp.config import LoadErrorConfig, OcaConfig, RetryPolicy
from nrdp.delivery.oca import Oca, OcaSelector
from nrdp.delivery.policy import (
    DefaultLoadErrorPolicy,
    Fallback,
    FallbackOptions,
    FallbackType,
    Fatal,
    LoadErrorInfo,
    Retry,
)
from nrdp.delivery.reasons import classify
from nrdp.delivery.resume import ByteRange, RangeResume
from nrdp.errors import ConnectFailed, ConnectionReset, DemuxFailed, HttpStatusError
from nrdp.events import OcaFailover
from nrdp.testing import FakeClock

FILE = bytes(random.Random(0).randbytes(4096))
WANTED = ByteRange(1000, 2999)


@dataclass
class ScriptedOca:
    """Faults per request, in order; after the script, requests succeed."""

    faults: list[tuple[str, int]] = field(default_factory=list)
    requests: int = 0

    def serve(self, resume: RangeResume, url: str) -> None:
        self.requests += 1
        kind, arg = self.faults.pop(0) if self.faults else ("ok", 0)
        if kind == "refuse":
            raise ConnectFailed(url=url, reason="connection refused")
        if kind == "status":
            raise HttpStatusError(status=arg, url=url)
        rng = resume.request_range()
        assert rng is not None and rng.end is not None
        body = FILE[rng.start : rng.end + 1]
        if kind == "corrupt":
            body = bytes(b ^ 0xFF for b in body)
        resume.begin_response(
            206, content_range=f"bytes {rng.start}-{rng.end}/{len(FILE)}", url=url
        )
        if kind == "cut":
            resume.feed(body[:arg])
            resume.abort_response()
            raise ConnectionReset(url=url, received=resume.received)
        resume.feed(body)
        resume.end_response()


def check(data: bytes) -> None:
    """Stand-in for decrypt+demux: damaged bytes fail to parse."""
    if hashlib.sha256(data).digest() != hashlib.sha256(FILE[1000:3000]).digest():
        raise DemuxFailed(track="video", reason="bad moof", segment=7)


def download(servers: dict[str, ScriptedOca]) -> tuple[bytes, list[OcaFailover], FakeClock]:
    clock = FakeClock()
    ocas = [Oca(id=k, url=f"http://127.0.0.1:{9000 + i}/", rank=i) for i, k in enumerate(servers)]
    selector = OcaSelector(ocas, OcaConfig())
    policy = DefaultLoadErrorPolicy(
        LoadErrorConfig(), Backoff(RetryPolicy(fuzz=0.0), random.Random(1))
    )
    resume = RangeResume(WANTED)
    failovers: list[OcaFailover] = []
    errors = 0
    while True:
        oca = selector.select(clock.now())
        assert oca is not None
        try:
            servers[oca.id].serve(resume, oca.url_for("title/video.mp4?token=t"))
            check(resume.data())
            selector.report_success(oca.id, resume.received, 0.1, clock.now())
            return resume.data(), failovers, clock
        except SdkError as err:
            errors += 1
            options = FallbackOptions(
                locations=len(ocas), excluded_locations=selector.excluded_count(clock.now())
            )
            decision = policy.on_load_error(LoadErrorInfo(err, errors, resume.received), options)
            if isinstance(decision, Fatal):
                raise decision.error from None
            if isinstance(decision, Retry):
                selector.report_failure(oca.id, classify(err), clock.now(), exclude=False)
                clock.advance(decision.delay)
                continue
            assert isinstance(decision, Fallback) and decision.kind is FallbackType.LOCATION
            selector.report_failure(
                oca.id, classify(err), clock.now(), exclusion_s=decision.exclusion
            )
            if not decision.resume:
                resume.reset()
            nxt = selector.select(clock.now())
            failovers.append(
                OcaFailover(
                    at=clock.now(),
                    from_oca=oca.id,
                    to_oca=nxt.id if nxt else None,
                    reason=str(err.code),
                )
            )


def test_reset_then_503_then_success_keeps_every_valid_byte() -> None:
    servers = {
        "a": ScriptedOca([("cut", 700)]),
        "b": ScriptedOca([("status", 503)]),
        "c": ScriptedOca(),
    }
    data, failovers, _ = download(servers)
    assert data == FILE[1000:3000]
    assert [(f.from_oca, f.to_oca) for f in failovers] == [("a", "b"), ("b", "c")]
    assert [s.requests for s in servers.values()] == [1, 1, 1]


def test_corrupt_bytes_are_refetched_from_another_oca_from_the_start() -> None:
    servers = {"a": ScriptedOca([("corrupt", 0)]), "b": ScriptedOca()}
    data, failovers, _ = download(servers)
    assert data == FILE[1000:3000]
    assert [(f.from_oca, f.to_oca, f.reason) for f in failovers] == [("a", "b", "4001")]


def test_a_lone_oca_is_retried_with_backoff_then_succeeds() -> None:
    servers = {"a": ScriptedOca([("refuse", 0), ("refuse", 0)])}
    data, failovers, clock = download(servers)
    assert data == FILE[1000:3000]
    assert failovers == []
    assert clock.now() == pytest.approx(0.5 + 1.0)  # two backoff delays, no sleeping


def test_content_missing_everywhere_ends_in_a_fatal_404() -> None:
    servers = {k: ScriptedOca([("status", 404)] * 10) for k in "abc"}
    with pytest.raises(HttpStatusError) as info:
        download(servers)
    assert info.value.status == 404
    assert all(s.requests >= 1 for s in servers.values())
    assert "token" not in str(info.value)
