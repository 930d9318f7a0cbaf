"""Every registered benchmark runs once at smoke size: an exception or a non-finite figure is
a red test, so a benchmark cannot rot into a silent ``nan``.

Each area runs ``python -m benchmarks --smoke --only AREA.`` in its own process (as a user
runs it, with the benchmark modules sized at import); the areas are the ``bench_*`` modules,
so a new module is covered without editing this file.
"""

from __future__ import annotations

import json
import math
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import benchmarks

AREAS = sorted(
    info.name.removeprefix("bench_")
    for info in pkgutil.iter_modules(benchmarks.__path__)
    if info.name.startswith("bench_")
)


def test_every_benchmark_module_is_an_area() -> None:
    assert {"abr", "backend", "cluster", "drm", "manifest", "nrdp", "packager"} <= set(AREAS)


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_area_runs_at_smoke_size_with_finite_figures(
    area: str, tmp_path: Path, shared_dir: Path
) -> None:
    out = tmp_path / "results.json"
    env = {**os.environ, "NRDP_SHARED_DIR": str(shared_dir)}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--only", f"{area}.", "--json", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        cwd=Path(benchmarks.__file__).resolve().parent.parent,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results, f"{area}: no figures"
    for r in results:
        assert math.isfinite(r["figure"]), (r["name"], r["notes"])
        assert r["baseline"] is None or math.isfinite(r["baseline"]), (r["name"], r["notes"])


def test_a_broken_benchmark_fails_the_run(tmp_path: Path) -> None:
    """The runner's exit status is what the smoke test relies on: an exception and a ``nan``
    figure each make it 1 (the others still run), a name matching nothing makes it 2."""
    from benchmarks.__main__ import main
    from benchmarks.harness import _REGISTRY, Result

    def raises() -> list[Result]:
        raise RuntimeError("broken")

    def nan() -> list[Result]:
        return [Result("zz_broken.nan", float("nan"), "s")]

    def fine() -> list[Result]:
        return [Result("zz_broken.fine", 1.0, "s", "b", 2.0)]

    out = tmp_path / "r.json"
    try:
        for name, fn in (("raises", raises), ("nan", nan), ("fine", fine)):
            _REGISTRY[f"zz_broken.{name}"] = fn
        assert main(["--only", "zz_broken.fine", "--json", str(out)]) == 0
        assert main(["--only", "zz_broken.", "--json", str(out)]) == 1
        assert [r["name"] for r in json.loads(out.read_text())] == [
            "zz_broken.fine",
            "zz_broken.nan",
            "zz_broken.raises",
        ]
        assert main(["--only", "zz_no_such_benchmark", "--json", str(out)]) == 2
    finally:
        for name in ("raises", "nan", "fine"):
            _REGISTRY.pop(f"zz_broken.{name}", None)
