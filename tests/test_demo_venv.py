"""scripts/demo_venv.py: what `make demo` installs, read from pyproject.toml."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _demo_venv():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("demo_venv", ROOT / "scripts" / "demo_venv.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_installs_runtime_deps_without_qt_and_scikit_image_without_its_deps():
    dv = _demo_venv()
    main = dv.runtime_requirements()
    assert any(r.startswith("av") for r in main) and any(r.startswith("numpy") for r in main)
    assert not [r for r in main if r.lower().startswith(("pyside6", "scikit-image"))]
    no_deps = dv.no_deps_requirements()
    assert no_deps[0].startswith("scikit-image>=")  # the project's own version bound
    assert any(r.startswith("lazy-loader") for r in no_deps)
