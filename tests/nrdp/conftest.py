"""Fixtures for the SDK's I/O tests: a real fake_backend on 127.0.0.1 with real encoded media.

Encoding is the slow part, so the test title is encoded once per test session; each backend
then packages it (encryption with its own keys, the MPD) with the packager's own
``package_title``, exactly as ``--media encoded`` does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from fake_backend.catalog import CatalogTitle, short_title
from fake_backend.context import BackendConfig
from fake_backend.control import CONTROL_TOKEN_HEADER
from fake_backend.packager import (
    EncodedTitle,
    encode_title,
    package_title,
    spec_for_title,
)
from fake_backend.runner import Backend

FPS = 10
TITLE = short_title("t-real", (b"\x11" * 16, b"\x22" * 16))
FRAMES = int(TITLE.duration_s * FPS)
SPEC = replace(spec_for_title(TITLE, ()), fps=FPS, picture="gradient")  # catalog row rules
"""Gradients, as before natural pictures: wrong-key tests need garbage the decoder refuses
(with natural pictures a random wrong key sometimes decoded cleanly; issue note)."""


CONTROL_HEADERS = {CONTROL_TOKEN_HEADER: "test-control-token-nrdp-0123456789"}
"""The control token of these test backends; the ``http`` fixture sends it."""


def with_control_token(config: BackendConfig | None) -> BackendConfig:
    cfg = config or BackendConfig()
    return (
        cfg
        if cfg.control_token
        else replace(cfg, control_token=CONTROL_HEADERS[CONTROL_TOKEN_HEADER])
    )


class CachedMaterializer:
    """Encode the title once per session, then package it per backend with that backend's
    own keys (encrypted or clear), exactly as ``--media encoded`` does."""

    def __init__(self, encoded: EncodedTitle, *, encrypted: bool) -> None:
        self.encoded = encoded
        self.encrypted = encrypted

    def materialize(self, title: CatalogTitle, keys: Mapping[bytes, bytes], dest: Path) -> None:
        spec = SPEC if self.encrypted else replace(SPEC, scheme="clear")
        kids = {"video": title.kid_for("video"), "audio": title.kid_for("audio")}
        package_title(spec, dest, keys=keys, kids=kids, encoded=self.encoded, poster=False)


@pytest.fixture(scope="session")
def encoded_title() -> EncodedTitle:
    return encode_title(SPEC.title_spec())


@pytest.fixture
async def make_backend(
    tmp_path: Path, encoded_title: EncodedTitle
) -> AsyncIterator[Callable[..., Any]]:
    started: list[Backend] = []

    async def make(*, encrypted: bool = True, **kw: Any) -> Backend:
        kw.setdefault("ocas", 3)
        kw.setdefault("catalog", [TITLE])
        kw["config"] = with_control_token(kw.get("config"))
        be = Backend(
            tmp_path / f"b{len(started)}",
            materializer=CachedMaterializer(encoded_title, encrypted=encrypted),
            **kw,
        )
        await be.start()
        started.append(be)
        return be

    try:
        yield make
    finally:
        for be in started:
            await be.close()


@pytest.fixture
async def backend(make_backend: Callable[..., Any]) -> Backend:
    return await make_backend()  # type: ignore[no-any-return]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain test client for control endpoints (never the SDK's own channels); it carries
    the test backends' control token."""
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=20), headers=CONTROL_HEADERS
    ) as s:
        yield s


async def set_faults(http: aiohttp.ClientSession, be: Backend, index: int, **plan: Any) -> None:
    async with http.put(be.control_urls[index] + "/faults", json=plan) as r:
        assert r.status == 200, await r.text()


async def clear_faults(http: aiohttp.ClientSession, be: Backend, index: int) -> None:
    async with http.delete(be.control_urls[index] + "/faults") as r:
        assert r.status in (200, 204), await r.text()


@pytest.fixture
def nb() -> SimpleNamespace:
    """Helpers (conftest modules are not importable under importlib mode)."""
    return SimpleNamespace(
        TITLE=TITLE,
        FPS=FPS,
        FRAMES=FRAMES,
        set_faults=set_faults,
        clear_faults=clear_faults,
    )
