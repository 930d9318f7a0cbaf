"""Fixtures for manifest tests: the corpus MPDs and their expected facts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def expected(corpus_dir: Path) -> dict[str, Any]:
    return json.loads((corpus_dir / "expected.json").read_text())["files"]
