"""The no-argument path (`make demo`): an embedded backend packaged on first start, reused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.headless.__main__ import main


def test_embedded_first_start_then_reuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "demo-data"
    report = tmp_path / "r.json"
    common = ["--catalog", "tiny", "--data-dir", str(data), "--speed", "fast"]
    assert main(["play", "t-detect", *common, "--report", str(report)]) == 0
    first = capsys.readouterr()
    said = " ".join(first.err.split())  # the console wraps long lines
    # the title to play first, the rest of the catalog in the background while it plays
    assert "First start: packaging t-detect into" in said
    assert "2 more titles follow in the background" in said
    assert "first frame" in first.err
    assert "QoE summary" in first.out
    assert json.loads(report.read_text())["frames_in_order"] is True
    assert (data / "endpoints.json").is_file()
    # no title given: the demo's pick (the sharpest short title), packaged first if needed
    assert main(["play", *common, "--report", str(report)]) == 0
    capsys.readouterr()
    r = json.loads(report.read_text())
    assert r["title"] == "t-ocean"
    assert r["frames_decoded"] == r["frames_expected"] > 0
    # a later start reuses what is packaged: nothing to wait for before playing
    assert main(["play", "t-detect", *common, "--report", str(report)]) == 0
    assert "First start" not in capsys.readouterr().err


async def test_a_running_backends_data_dir_is_refused_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A headless run on the data dir of a running ``fake_backend serve`` exits 2 naming
    that server, and its endpoints.json still points at it; a stale file does not block."""
    import asyncio

    from apps.embedded import DataDirInUse, EmbeddedBackend
    from fake_backend.runner import Backend

    data = tmp_path / "shared-data"
    async with Backend(data, catalog="tiny", ocas=1, content_scale=0.02) as running:
        before = (data / "endpoints.json").read_text()
        rc = await asyncio.to_thread(main, ["play", "t-detect", "--data-dir", str(data)])
        assert rc == 2
        err = " ".join(capsys.readouterr().err.split())
        assert running.gateway_url in err and "--endpoints" in err and "packaging" not in err
        assert (data / "endpoints.json").read_text() == before
        with pytest.raises(DataDirInUse):  # the API refuses too (off this serving loop)
            await asyncio.to_thread(EmbeddedBackend(data, catalog="tiny").start)
    # stopped: its endpoints.json is stale, and the data dir is free again
    from apps.embedded import running_backend

    assert running_backend(data) is None
