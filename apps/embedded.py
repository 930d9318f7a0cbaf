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
import json
import threading
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fake_backend.catalog import CatalogTitle
from fake_backend.context import BackendConfig
from fake_backend.experiments.allocation import allocate
from fake_backend.live.service import default_channels
from fake_backend.packager import PackagerMaterializer, catalog_titles
from fake_backend.runner import Backend

__all__ = [
    "BackendConfig",
    "BackendInfo",
    "DataDirInUse",
    "EmbeddedBackend",
    "add_embedded_flags",
    "catalog_titles",
    "demo_title",
    "info_from_endpoints",
    "running_backend",
    "titles_to_package",
]

CATALOGS = ("demo", "tiny")
DEMO_MAX_TITLE_S = 60.0
"""The demo plays a title of at most this length (it plays to the end)."""


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
    control_token: str | None = field(default=None, repr=False)
    """The control plane's token (``endpoints.json`` ``control_token``; sent by ControlClient)."""
    oca_ids: tuple[str, ...] = ()
    email: str | None = None
    password: str | None = field(default=None, repr=False)
    titles: tuple[str, ...] = ()
    live: tuple[str, ...] = ()
    """Live channel ids (``endpoints.json`` ``live``; ``serve`` lists them in ``titles`` too)."""
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
            control_token=str(doc["control_token"]) if doc.get("control_token") else None,
            oca_ids=tuple(str(x) for x in doc.get("oca_ids", ())),
            email=demo.get("email"),
            password=demo.get("password"),
            titles=tuple(str(x) for x in doc.get("titles", ())),
            live=tuple(str(x) for x in doc.get("live", ())),
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
    """Wraps the packager to report each title it packages (first start only) and, with
    ``on_step``, each job of a title packaged on several processes as it finishes."""

    def __init__(
        self,
        inner: PackagerMaterializer,
        on_title: Callable[[str, float], None],
        on_step: Callable[[str, str], None] | None = None,
    ):
        self.inner = inner
        self.on_title = on_title
        inner.on_step = on_step

    def materialize(self, title: Any, keys: Mapping[bytes, bytes], dest: Path) -> None:
        self.on_title(title.id, float(title.duration_s))
        self.inner.materialize(title, keys, dest)

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent to the background packager (another process) as the bare packager, one
        process per title there: the progress callback stays here."""
        return (PackagerMaterializer, ())


def demo_title(catalog: str) -> str:
    """The demo's title, known before the backend starts (so it is packaged first): the
    sharpest title of at most ``DEMO_MAX_TITLE_S`` (highest rung, then the longest; ties go
    to the earlier catalog entry), else the first title."""
    titles = catalog_titles(catalog)
    best: tuple[tuple[float, float], str] | None = None
    for t in titles:
        height = max((r.height or 0 for r in t.renditions if r.kind == "video"), default=0)
        key = (float(height), float(t.duration_s))
        if t.duration_s <= DEMO_MAX_TITLE_S and (best is None or key > best[0]):
            best = (key, t.id)
    return best[1] if best is not None else titles[0].id


class DataDirInUse(ValueError):
    """The data dir belongs to a backend that is running (``fake_backend serve`` or another
    app): starting an embedded one there would overwrite its ``endpoints.json`` with ports
    that die with this run."""

    def __init__(self, data_dir: Path, gateway_url: str) -> None:
        super().__init__(
            f"data dir {data_dir} is in use by a running backend (gateway {gateway_url}); "
            f"play against it with --endpoints {data_dir / 'endpoints.json'}, or give "
            "another --data-dir"
        )
        self.data_dir = data_dir
        self.gateway_url = gateway_url


def running_backend(data_dir: Path, timeout_s: float = 1.0) -> str | None:
    """The gateway URL of a live backend whose ``endpoints.json`` is in ``data_dir`` (its
    ``/health`` answers), else None (no file, or a stale one left by a stopped backend)."""
    try:
        doc = json.loads((data_dir / "endpoints.json").read_text())
        url = str(doc["gateway_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not url.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout_s) as resp:
            return url if resp.status == 200 else None
    except (OSError, ValueError):
        return None


class EmbeddedBackend:
    """``start()`` blocks until every service listens; ``close()`` stops them and the thread.

    ``on_package(title_id, duration_s)`` is called before each title is packaged,
    ``on_package_step(title_id, job)`` as each job of one finishes (video groups, audio
    tracks, tiles, poster).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        catalog: str | Sequence[CatalogTitle] = "demo",
        ocas: int = 3,
        on_package: Callable[[str, float], None] | None = None,
        host: str = "127.0.0.1",
        config: BackendConfig | None = None,
        thread_name: str = "nrdp-embedded-backend",
        ready_first: Sequence[str] | None = None,
        on_background: Callable[[str, bool], None] | None = None,
        workers: int = 2,
        on_package_step: Callable[[str, str], None] | None = None,
    ) -> None:
        """``ready_first``: titles packaged before the services start (``workers``
        processes each); the others follow in the background (``on_background``)."""
        materializer: Any = PackagerMaterializer(workers=workers)
        if on_package is not None:
            materializer = _ProgressMaterializer(materializer, on_package, on_package_step)
        self.backend = Backend(
            data_dir,
            ocas=ocas,
            catalog=catalog_titles(catalog) if isinstance(catalog, str) else list(catalog),
            materializer=materializer,
            # as a real CDN: no token, no bytes
            config=config or BackendConfig(oca_require_token=True),
            host=host,
            ready_first=ready_first,
            on_background=on_background,
            live=default_channels(),  # live-news, live-sports (docs/live.md)
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=thread_name, daemon=True
        )

    def _submit(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def start(self, timeout: float = 900.0) -> BackendInfo:
        """Start the thread and the services; the description carries the demo login.

        Raises :class:`DataDirInUse` when a running backend owns the data dir."""
        live = running_backend(self.backend.data_dir)
        if live is not None:
            raise DataDirInUse(self.backend.data_dir, live)
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
