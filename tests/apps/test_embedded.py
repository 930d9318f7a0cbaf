"""The one embedded backend both apps start (apps/embedded.py), and endpoints.json."""

from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path

import pytest

from apps.embedded import EmbeddedBackend, info_from_endpoints, titles_to_package
from apps.headless.backend import UsageError, read_endpoints


def test_endpoints_document_becomes_backend_info(tmp_path: Path) -> None:
    doc = {
        "gateway_url": "http://127.0.0.1:1",
        "control_url": "http://127.0.0.1:2",
        "oca_ids": ["oca-1"],
        "demo": {"email": "demo@example.com", "password": "pw"},
        "titles": ["t-ocean"],
    }
    info = info_from_endpoints(doc)
    assert (info.gateway_url, info.oca_ids, info.email, info.titles) == (
        "http://127.0.0.1:1", ("oca-1",), "demo@example.com", ("t-ocean",)
    )  # fmt: skip
    assert "pw" not in repr(info)
    with pytest.raises(ValueError, match="gateway_url"):
        info_from_endpoints({"control_url": "x"})
    bad = tmp_path / "e.json"
    bad.write_text(json.dumps({"titles": []}))
    with pytest.raises(UsageError, match="gateway_url"):
        read_endpoints(bad)


def test_embedded_backend_starts_serves_and_stops(tmp_path: Path) -> None:
    assert [t for t, _ in titles_to_package(tmp_path, "tiny")]  # nothing packaged yet
    packaged: list[str] = []
    steps: list[tuple[str, str]] = []
    embedded = EmbeddedBackend(
        tmp_path, catalog="tiny", ocas=2, on_package=lambda t, _d: packaged.append(t),
        thread_name="test-embedded", on_package_step=lambda t, job: steps.append((t, job)),
    )  # fmt: skip
    with embedded as info:
        assert any(t.name == "test-embedded" for t in threading.enumerate())
        assert len(info.oca_ids) == 2 and info.email and info.password
        assert info.cell_of is not None and info.cell_of("acct-1") in info.cells
        with urllib.request.urlopen(info.gateway_url + "/health", timeout=10) as resp:
            assert resp.status == 200
    assert not any(t.name == "test-embedded" for t in threading.enumerate())
    assert packaged and titles_to_package(tmp_path, "tiny") == []
    # each title's jobs on a process pool, reported as they finish (the progress line)
    assert {(t, "poster") for t in packaged} <= set(steps)
    assert ("t-ocean", "audio a128-es") in steps
    embedded.close()  # idempotent
