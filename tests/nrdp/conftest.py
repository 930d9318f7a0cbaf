"""Fixtures for the SDK's I/O tests: a real fake_backend on 127.0.0.1 with real encoded media.

Encoding is the slow part, so the clear fMP4 tree of the test title is encoded once per test
session and copied into each backend's origin; encryption (with that backend's own keys) and
the MPD are then written by fake_backend's own post-steps, exactly as ``--media encoded``.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from fake_backend.catalog import AUDIO_RUNG, CatalogTitle, Rendition
from fake_backend.packaged import PackagerMaterializer, encrypt_tree, write_mpd_tree
from fake_backend.runner import Backend

FPS = 10
TITLE = CatalogTitle(
    id="t-real",
    name="Real Media",
    synopsis="Encoded by the media factory for the SDK tests.",
    genres=("test",),
    year=2026,
    duration_s=4.0,
    maturity="G",
    renditions=(
        Rendition("v240", "video", 300, 426, 240, "avc1.64001e"),
        Rendition("v360", "video", 700, 640, 360, "avc1.64001e"),
        AUDIO_RUNG,
    ),
    segment_duration_s=1.0,
    kids=(b"\x11" * 16, b"\x22" * 16),
)
FRAMES = int(TITLE.duration_s * FPS)


class CachedMaterializer:
    """Encode the clear tree once per session, then encrypt/MPD per backend (own keys)."""

    def __init__(self, cache: Path, *, encrypted: bool) -> None:
        self.cache = cache
        self.encrypted = encrypted

    def materialize(self, title: CatalogTitle, keys: Mapping[bytes, bytes], dest: Path) -> None:
        src = self.cache / title.id
        if not src.exists():
            tmp = self.cache / (title.id + ".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            PackagerMaterializer(fps=FPS, encrypt=None, write_mpd=None).materialize(
                title, keys, tmp
            )
            tmp.rename(src)
        shutil.copytree(src, dest, dirs_exist_ok=True)
        if self.encrypted:
            encrypt_tree(title, keys, dest)
        write_mpd_tree(title, keys, dest, encrypted=self.encrypted)


@pytest.fixture(scope="session")
def media_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nrdp-media")


@pytest.fixture
async def make_backend(tmp_path: Path, media_cache: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[Backend] = []

    async def make(*, encrypted: bool = True, **kw: Any) -> Backend:
        kw.setdefault("ocas", 3)
        kw.setdefault("catalog", [TITLE])
        be = Backend(
            tmp_path / f"b{len(started)}",
            materializer=CachedMaterializer(media_cache, encrypted=encrypted),
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
    """A plain test client for control endpoints (never the SDK's own channels)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as s:
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
