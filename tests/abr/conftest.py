"""Fixtures for the ABR tests: the shared Envivio video and dev traces, parsed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from abr.sim.traces import Trace, parse_trace
from abr.sim.video import Video, parse_video_json


@pytest.fixture(scope="session")
def envivio(abr_data_dir: Path) -> Video:
    path = abr_data_dir / "video" / "envivio.json"
    return parse_video_json(path.read_text(), str(path))


def _load(directory: Path) -> list[Trace]:
    return [parse_trace(p.read_text(), p.stem) for p in sorted(directory.glob("*.txt"))]


@pytest.fixture(scope="session")
def fcc_traces(abr_data_dir: Path) -> list[Trace]:
    return _load(abr_data_dir / "traces" / "fcc")


@pytest.fixture(scope="session")
def hsdpa_traces(abr_data_dir: Path) -> list[Trace]:
    return _load(abr_data_dir / "traces" / "hsdpa")
