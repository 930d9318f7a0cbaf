"""The OCA fleet: placement of titles on OCAs, cache fill, and the origin behind them.

Placement is rendezvous hashing (highest ``sha256(title, oca)`` wins), ``replicas`` OCAs per
title, done by hard-linking the origin's files into each chosen OCA's directory (copying
when links are not possible). A miss fills from a peer that holds the file (HTTP GET with
``X-Nrdp-Fill: 1``, so the peer never fills recursively) or else from the origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import shutil
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from fake_backend.content import ContentStore
from fake_backend.errors import FileNotFound
from fake_backend.limits import ServerLimits
from fake_backend.oca.server import FILL_HEADER, OcaNode

__all__ = ["Fleet", "place"]

log = logging.getLogger("fake_backend.oca")


def place(title_id: str, oca_ids: list[str], replicas: int) -> list[str]:
    """The OCAs that should hold ``title_id`` (stable when OCAs are added or removed)."""

    def weight(oca: str) -> bytes:
        return hashlib.sha256(f"{title_id}|{oca}".encode()).digest()

    return sorted(oca_ids, key=weight, reverse=True)[: max(1, replicas)]


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".fill-{dst.name}-{os.getpid()}")
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


class Fleet:
    def __init__(
        self,
        data_dir: Path,
        origin: ContentStore,
        count: int,
        host: str,
        *,
        server_ssl: ssl.SSLContext | None = None,
        client_ssl: ssl.SSLContext | None = None,
        token_verifier: Callable[[str], Mapping[str, Any]] | None = None,
        require_token: bool = False,
        limits: ServerLimits | None = None,
    ) -> None:
        """``server_ssl`` serves every OCA over HTTPS; ``client_ssl`` verifies peers on fill.

        ``token_verifier`` returns a playback token's claims (raising ``InvalidToken`` or
        ``TokenExpired``); with it, OCAs check the tokens requests carry and know their
        clients. ``require_token`` refuses requests without one (403), fills excepted.
        """
        self.origin = origin
        self.client_ssl = client_ssl
        self.token_verifier = token_verifier
        self.require_token = require_token
        self.fill_secret = secrets.token_urlsafe(24)
        """Cache fills between OCAs carry this (``FILL_HEADER``); a fill is served without a
        playback token, so the header's value must be something a client cannot know."""
        self.nodes = [
            OcaNode(
                f"oca-{i + 1}", data_dir / "ocas" / f"oca-{i + 1}", self, host, server_ssl, limits
            )
            for i in range(count)
        ]
        self._locks: dict[tuple[str, str, str], list[Any]] = {}  # key -> [lock, users]
        self._file_counts: dict[str, int] = {}
        self._session: aiohttp.ClientSession | None = None

    def node(self, oca_id: str) -> OcaNode | None:
        return next((n for n in self.nodes if n.id == oca_id), None)

    async def start(self, ports: list[int]) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=10, sock_connect=2),
            connector=aiohttp.TCPConnector(ssl=self.client_ssl or True),
        )
        for node, port in zip(self.nodes, ports, strict=True):
            await node.start(port)

    async def close(self) -> None:
        for node in self.nodes:
            await node.close()
        if self._session is not None:
            await self._session.close()

    def origin_file_count(self, title_id: str) -> int:
        if title_id not in self._file_counts:
            self._file_counts[title_id] = sum(1 for _ in self.origin.files(title_id))
        return self._file_counts[title_id]

    def place_title(self, title_id: str, replicas: int) -> list[str]:
        """Copy a title onto its OCAs (blocking file work; call in a thread)."""
        chosen = place(title_id, [n.id for n in self.nodes], replicas)
        files = list(self.origin.files(title_id))
        self._file_counts[title_id] = len(files)
        for node in self.nodes:
            if node.id not in chosen:
                continue
            for rel in files:
                dst = node.file_path(title_id, rel)
                if not dst.is_file():
                    _link_or_copy(self.origin.file_path(title_id, rel), dst)
        return chosen

    def holders(self, title_id: str) -> list[str]:
        """OCAs that hold every file of the title."""
        total = self.origin_file_count(title_id)
        out = []
        for n in self.nodes:
            tdir = n.root / title_id
            if total and tdir.is_dir():
                held = sum(1 for f in tdir.rglob("*") if f.is_file() and not f.name.startswith("."))
                if held >= total:
                    out.append(n.id)
        return out

    @property
    def fill_locks(self) -> int:
        """Per-file fill locks held now (one per file being filled; 0 when idle)."""
        return len(self._locks)

    @contextlib.asynccontextmanager
    async def _fill_lock(self, key: tuple[str, str, str]) -> AsyncIterator[None]:
        """One fill per file at a time; the lock lives only while someone uses it (a flood
        of requests for missing files must not leave one lock per path behind)."""
        entry = self._locks.get(key)
        if entry is None:
            entry = self._locks[key] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[key]

    async def fill(self, node: OcaNode, title_id: str, rel: str) -> None:
        async with self._fill_lock((node.id, title_id, rel)):
            dest = node.file_path(title_id, rel)
            if dest.is_file():
                return
            for peer in self.nodes:
                if peer is node or not peer.up or not peer.has_file(title_id, rel):
                    continue
                data = await self._fetch(peer, title_id, rel)
                if data is None:
                    continue
                await asyncio.to_thread(self._write, dest, data)
                node.stats["fills_peer"] += 1
                log.info("%s filled %s/%s from %s", node.id, title_id, rel, peer.id)
                return
            src = self.origin.file_path(title_id, rel)
            if not src.is_file():
                raise FileNotFound(path=f"{title_id}/{rel}"[:200])
            await asyncio.to_thread(_link_or_copy, src, dest)
            node.stats["fills_origin"] += 1

    @staticmethod
    def _write(dest: Path, data: bytes) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".fill-{dest.name}-{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, dest)

    async def _fetch(self, peer: OcaNode, title_id: str, rel: str) -> bytes | None:
        assert self._session is not None
        url = f"{peer.url}/titles/{title_id}/{rel}"
        try:
            async with self._session.get(url, headers={FILL_HEADER: self.fill_secret}) as resp:
                if resp.status != 200:
                    return None
                return await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.info("fill of %s/%s from %s failed: %s", title_id, rel, peer.id, exc)
            return None
