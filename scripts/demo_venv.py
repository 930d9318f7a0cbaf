"""Make the venv ``make demo`` needs, fast: the runtime dependencies only.

``make demo`` must show a first frame within a minute of a fresh clone, venv included, so
it does not install what the headless demo never imports: the dev tools (``make test``
adds them) and the packages that ``[tool.nrdp] demo-skip`` in pyproject.toml names (Qt,
for the desktop app). The packages ``demo-no-deps`` names are installed without their
dependencies, by a second pip run beside the first (scikit-image: the demo reads only its
photographs, so scipy and the rest are not needed). The project itself is not installed
either: ``python -m apps.headless`` runs from the checkout. The venv is made without its
own pip and the dependencies are installed by this interpreter's pip (``pip --python``,
pip >= 22.3), without byte-compiling them (Python compiles what it imports, on first
import); an older pip falls back to a venv with pip. ``make setup`` adds pip to such a
venv when it needs it.

Usage: ``python scripts/demo_venv.py VENV_DIR``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """``[project] dependencies`` less the ``demo-skip`` and ``demo-no-deps`` names."""
    doc = tomllib.loads(pyproject.read_text())
    nrdp = doc.get("tool", {}).get("nrdp", {})
    skip = {_name(n) for n in nrdp.get("demo-skip", []) + nrdp.get("demo-no-deps", [])}
    return [r for r in doc["project"]["dependencies"] if _name(r) not in skip]


def no_deps_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The ``demo-no-deps`` entries, each with its ``[project] dependencies`` version bound."""
    doc = tomllib.loads(pyproject.read_text())
    bounds = {_name(r): r for r in doc["project"]["dependencies"]}
    names = doc.get("tool", {}).get("nrdp", {}).get("demo-no-deps", [])
    return [bounds.get(_name(n), n) for n in names]


def _pip_supports_python_flag() -> bool:
    try:
        import pip
    except ImportError:
        return False
    major, minor = (int(x) for x in pip.__version__.split(".")[:2])
    return (major, minor) >= (22, 3)


def main(argv: list[str]) -> int:
    env_dir = Path(argv[0] if argv else ".venv")
    python = env_dir / "bin" / "python"
    quiet = ["--quiet", "--disable-pip-version-check", "--no-compile"]
    if _pip_supports_python_flag():
        if not python.exists():
            venv.create(env_dir, with_pip=False)
        pip = [sys.executable, "-m", "pip", "--python", str(python), "install", *quiet]
    else:
        if not python.exists():
            venv.create(env_dir, with_pip=True)
        pip = [str(python), "-m", "pip", "install", *quiet]
    # Disjoint sets of packages: the two runs may share the venv at once. Neither checks
    # the venv's dependencies afterwards: each would see the other's half-made state, and
    # the no-deps packages lack theirs by design.
    pip.append("--no-warn-conflicts")
    runs = [subprocess.Popen([*pip, *runtime_requirements()])]
    if no_deps := no_deps_requirements():
        runs.append(subprocess.Popen([*pip, "--no-deps", *no_deps]))
    codes = [run.wait() for run in runs]
    return next((c for c in codes if c), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
