"""Every ```python block of README.md and docs/*.md runs as written.

A block runs in a fresh interpreter in an empty directory that holds what a reader of the
page would have: ``.nrdp-backend/endpoints.json`` of a running fake backend (tiny catalog,
real packaged media), as ``python -m fake_backend serve --catalog tiny`` writes it, and the
modules earlier blocks of the page told the reader to save (``<!-- doc-test: file NAME
-->``: written, then imported). A sketch whose inputs come from the surrounding text is
marked ``<!-- doc-test: skip (why) -->`` on the line before its fence.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.headless.backend import EmbeddedBackend

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CASES = [
    (page, n) for page in PAGES for n in range(page.read_text(encoding="utf-8").count("```python"))
]


@pytest.fixture(scope="module")
def running_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("doc-backend")
    embedded = EmbeddedBackend(data_dir, catalog="tiny", ocas=2)
    embedded.start(timeout=300)
    try:
        yield data_dir / "endpoints.json"
    finally:
        embedded.close()


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(cwd), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


def test_every_page_with_python_blocks_is_collected() -> None:
    assert any(page.name == "nrdp.md" for page, _ in CASES)
    assert any(page.name == "abr.md" for page, _ in CASES)


@pytest.mark.slow
@pytest.mark.parametrize(("page", "index"), CASES, ids=lambda v: getattr(v, "name", str(v)))
def test_doc_example_runs_as_written(
    page: Path, index: int, doc_blocks, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    blocks = doc_blocks(page)
    block = blocks[index]
    if block.skip:
        pytest.skip(f"{page.name}:{block.line}: marked as a sketch")
    for earlier in blocks[:index]:  # modules the page had the reader save before
        if earlier.file is not None:
            (tmp_path / earlier.file).write_text(earlier.code)
    if block.file is not None:
        (tmp_path / block.file).write_text(block.code)
        code = f"import {Path(block.file).stem}"
    else:
        endpoints: Path = request.getfixturevalue("running_backend")
        (tmp_path / ".nrdp-backend").mkdir()
        shutil.copy(endpoints, tmp_path / ".nrdp-backend" / "endpoints.json")
        code = block.code
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, (
        f"{page.name}:{block.line}\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}"
    )


def test_the_nrdp_example_plays_a_title_to_its_end(
    doc_blocks, running_backend: Path, tmp_path: Path
) -> None:
    """docs/nrdp.md's first example is a whole program: it logs in, browses and plays."""
    block = doc_blocks(ROOT / "docs" / "nrdp.md")[0]
    assert not block.skip and "fake_backend" not in block.code
    (tmp_path / ".nrdp-backend").mkdir()
    shutil.copy(running_backend, tmp_path / ".nrdp-backend" / "endpoints.json")
    proc = _run(block.code, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    [line] = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]  # the stats dict
    stats = ast.literal_eval(line)
    assert stats["state"] == "ended", stats
