"""One embedded backend (tiny catalog, real encoded media) per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.embedded import BackendInfo, EmbeddedBackend

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackendInfo, Path]]:
    data_dir = tmp_path_factory.mktemp("headless-backend")
    embedded = EmbeddedBackend(data_dir, catalog="tiny", ocas=3)
    info = embedded.start(timeout=120)
    try:
        yield info, data_dir / "endpoints.json"
    finally:
        embedded.close()


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    return REPO_ROOT / "scenarios"
