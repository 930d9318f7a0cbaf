"""The embedded fake backend, for running the app with no ``--backend URL``.

It runs on its own loop thread, so it behaves like a separate server: the SDK reaches it
over loopback HTTP exactly as it would reach a remote one. Media is real (``--media
encoded`` equivalent): titles are packaged into the data dir on first use and reused later.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.desktop.runtime import LoopThread
from fake_backend.context import BackendConfig
from fake_backend.packager import PackagerMaterializer
from fake_backend.runner import Backend

__all__ = ["EmbeddedBackend"]


class EmbeddedBackend:
    """``start()`` blocks until the services listen (call it before the UI needs them)."""

    def __init__(self, data_dir: Path, *, catalog: str = "tiny", ocas: int = 3, **kw: Any) -> None:
        kw.setdefault("materializer", PackagerMaterializer())
        kw.setdefault("config", BackendConfig(oca_require_token=True))  # no token, no bytes
        self.backend = Backend(data_dir, ocas=ocas, catalog=catalog, **kw)
        self.runtime = LoopThread("nrdp-desktop-backend")

    def start(self, timeout: float = 60.0) -> Backend:
        self.runtime.submit(self.backend.start()).result(timeout)
        return self.backend

    def close(self) -> None:
        if self.runtime.running:
            try:
                self.runtime.submit(self.backend.close()).result(10.0)
            finally:
                self.runtime.stop()
