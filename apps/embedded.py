"""The embedded fake backend both apps start when no backend URL is given.

It runs on its own event loop thread, so the SDK reaches it over loopback HTTP exactly as
it would reach a remote server. Media is real (the equivalent of ``python -m fake_backend
serve --media encoded``): titles are packaged into the data dir on first start (the demo
catalog takes minutes) and reused by later starts. As on a real CDN, the OCAs serve no
byte without a playback token.

This is the apps' one door into ``fake_backend`` for running it (the headless app also
reads the test content's frame ids, ``apps/headless/frames.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fake_backend.context import BackendConfig
from fake_backend.experiments.allocation import allocate
from fake_backend.live.service import default_channels
from fake_backend.packager import PackagerMaterializer, catalog_titles
from fake_backend.runner import Backend

__all__ = [
    "BackendInfo",
    "EmbeddedBackend",
    "add_embedded_flags",
    "info_from_endpoints",
    "titles_to_package",
]

CATALOGS = ("demo", "tiny")


def _ocas(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return n


def add_embedded_flags(parser: Any, *, data_dir: Path, catalog: str) -> None:
    """The embedded backend's flags, the same in both apps (their defaults differ):
    ``--data-dir``, ``--catalog``, ``--ocas``. ``parser`` is a parser or an argument group."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=data_dir,
        metavar="DIR",
        help=f"embedded backend's data dir: packaged titles, SQLite (default {data_dir})",
    )
    parser.add_argument(
        "--catalog", choices=CATALOGS, default=catalog, help=f"embedded catalog ({catalog})"
    )
    parser.add_argument(
        "--ocas", type=_ocas, default=3, metavar="N", help="embedded backend's OCAs (3)"
    )


@dataclass(frozen=True)
class BackendInfo:
    """What an app needs to know about a backend (the shape of ``endpoints.json``)."""

    gateway_url: str
    control_url: str | None = None
    oca_ids: tuple[str, ...] = ()
    email: str | None = None
    password: str | None = field(default=None, repr=False)
    titles: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()
    """The A/B experiment's cells, when the backend's allocation is known (embedded)."""
    cell_of: Callable[[str], str] | None = field(default=None, compare=False, repr=False)
    """account id -> cell name: the embedded backend's own allocation function."""


def info_from_endpoints(doc: Mapping[str, Any]) -> BackendInfo:
    """A backend's ``endpoints.json`` document as a :class:`BackendInfo`.

    Raises ``ValueError`` when the document lacks a usable ``gateway_url``.
    """
    try:
        demo = doc.get("demo") or {}
        return BackendInfo(
            gateway_url=str(doc["gateway_url"]),
            control_url=str(doc["control_url"]) if doc.get("control_url") else None,
            oca_ids=tuple(str(x) for x in doc.get("oca_ids", ())),
            email=demo.get("email"),
            password=demo.get("password"),
            titles=tuple(str(x) for x in doc.get("titles", ())),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"endpoints file lacks a valid gateway_url ({exc})") from None


def titles_to_package(data_dir: Path, catalog: str) -> list[tuple[str, float]]:
    """Catalog titles whose origin copy is not complete yet (what a start will encode)."""
    out = []
    for t in catalog_titles(catalog):
        if not (data_dir / "titles" / t.id / ".complete").exists():
            out.append((t.id, float(t.duration_s)))
    return out


class _ProgressMaterializer:
    """Wraps the packager to report each title it packages (first start only)."""

    def __init__(self, inner: PackagerMaterializer, on_title: Callable[[str, float], None]):
        self.inner = inner
        self.on_title = on_title

    def materialize(self, title: Any, keys: Mapping[bytes, bytes], dest: Path) -> None:
        self.on_title(title.id, float(title.duration_s))
        self.inner.materialize(title, keys, dest)


class EmbeddedBackend:
    """``start()`` blocks until every service listens; ``close()`` stops them and the thread.

    ``on_package(title_id, duration_s)`` is called before each title is packaged.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        catalog: str = "demo",
        ocas: int = 3,
        on_package: Callable[[str, float], None] | None = None,
        thread_name: str = "nrdp-embedded-backend",
    ) -> None:
        materializer: Any = PackagerMaterializer()
        if on_package is not None:
            materializer = _ProgressMaterializer(materializer, on_package)
        self.backend = Backend(
            data_dir,
            ocas=ocas,
            catalog=catalog_titles(catalog),
            materializer=materializer,
            config=BackendConfig(oca_require_token=True),  # as a real CDN: no token, no bytes
            live=default_channels(),  # live-news, live-sports (docs/live.md)
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=thread_name, daemon=True
        )

    def _submit(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def start(self, timeout: float = 900.0) -> BackendInfo:
        """Start the thread and the services; the description carries the demo login."""
        self._thread.start()
        self._submit(self.backend.start()).result(timeout)
        info = info_from_endpoints(self.backend.endpoints())
        experiment = self.backend.config.experiment
        return replace(
            info,
            cells=tuple(c.name for c in experiment.cells if c.weight > 0),
            cell_of=lambda account_id: allocate(experiment, account_id).name,
        )

    def close(self) -> None:
        """Stop the services, then the loop and its thread (idempotent)."""
        if not self._thread.is_alive():
            return
        try:
            self._submit(self.backend.close()).result(30.0)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10.0)
            self._loop.close()

    def __enter__(self) -> BackendInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
