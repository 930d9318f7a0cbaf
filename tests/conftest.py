"""Shared fixtures: where the shared test data lives (``../shared`` beside the checkout)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI runs are deterministic (same examples every run) so main stays green for the reason a
# test states, not by luck; local runs explore new examples each time.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("NRDP_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DIR} (set NRDP_SHARED_DIR)")
    return SHARED_DIR


@pytest.fixture(scope="session")
def corpus_dir(shared_dir: Path) -> Path:
    return shared_dir / "corpus"


@pytest.fixture(scope="session")
def abr_data_dir(shared_dir: Path) -> Path:
    return shared_dir / "abr"


# ----------------------------------------------------------------- doc examples
DOC_MARKER = re.compile(r"<!--\s*doc-test:\s*(skip|file\s+([^\s>]+))[^>]*-->")


@dataclass(frozen=True)
class DocBlock:
    """A fenced ```python block of a Markdown page. ``skip``: marked ``<!-- doc-test:
    skip -->`` (not runnable as written); ``file``: marked ``<!-- doc-test: file NAME -->``
    (a module the page tells the reader to save under that name)."""

    page: Path
    line: int
    code: str
    skip: bool = False
    file: str | None = None


def doc_python_blocks(page: Path) -> list[DocBlock]:
    """Every ```python block of ``page`` with the marker on the line before its fence."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[DocBlock] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```python":
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        marker = DOC_MARKER.search(lines[i - 1]) if i > 0 else None
        blocks.append(
            DocBlock(
                page,
                i + 2,
                "\n".join(lines[i + 1 : end]) + "\n",
                skip=marker is not None and marker.group(1) == "skip",
                file=marker.group(2) if marker is not None else None,
            )
        )
        i = end + 1
    return blocks


@pytest.fixture(scope="session")
def doc_blocks() -> Callable[[Path], list[DocBlock]]:
    """:func:`doc_python_blocks`, for tests (conftest modules are not importable)."""
    return doc_python_blocks


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
