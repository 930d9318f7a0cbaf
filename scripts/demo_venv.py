"""Make the venv ``make demo`` needs, fast: the runtime dependencies only.

``make demo`` must show a first frame within a minute of a fresh clone, venv included, so
it does not install what the headless demo never imports: the dev tools (``make test``
adds them) and the packages that ``[tool.nrdp] demo-skip`` in pyproject.toml names (Qt,
for the desktop app). The project itself is not installed either: ``python -m
apps.headless`` runs from the checkout. The venv is made without its own pip and the
dependencies are installed by this interpreter's pip (``pip --python``, pip >= 22.3),
without byte-compiling them (Python compiles what it imports, on first import); an older
pip falls back to a venv with pip. ``make setup`` adds pip to such a venv when it needs it.

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


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """``[project] dependencies`` less the ``demo-skip`` names."""
    doc = tomllib.loads(pyproject.read_text())
    skip = {n.lower() for n in doc.get("tool", {}).get("nrdp", {}).get("demo-skip", [])}
    reqs = doc["project"]["dependencies"]
    return [r for r in reqs if re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() not in skip]


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
    reqs = runtime_requirements()
    if _pip_supports_python_flag():
        if not python.exists():
            venv.create(env_dir, with_pip=False)
        cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", *quiet, *reqs]
    else:
        if not python.exists():
            venv.create(env_dir, with_pip=True)
        cmd = [str(python), "-m", "pip", "install", *quiet, *reqs]
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
