"""The direction of dependencies (docs/architecture.md), checked on the source itself.

Every ``import`` statement anywhere in a module counts, including ones inside functions.
``make lint`` runs import-linter with the same contracts from pyproject.toml.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

PURE_FORBIDDEN = {"asyncio", "aiohttp", "av", "PySide6", "socket", "nrdp", "fake_backend", "apps"}
# The report writer and CLI of the simulator may do process-level work; nothing else in abr may.
PURE_EXEMPT = {"abr/__main__.py", "abr/sim/cli.py", "abr/sim/report.py", "abr/sim/parallel.py"}

CONTRACTS: list[tuple[str, set[str], set[str]]] = [
    ("mediacore", PURE_FORBIDDEN, set()),
    ("manifest", PURE_FORBIDDEN, set()),
    ("drm", PURE_FORBIDDEN, set()),
    ("abr", PURE_FORBIDDEN, PURE_EXEMPT),
    ("nrdp", {"PySide6", "fake_backend", "apps"}, set()),
    ("fake_backend", {"nrdp", "apps", "PySide6"}, set()),
    ("apps/headless", {"PySide6", "apps.desktop"}, set()),
]

# The apps' doors into the SDK and the ABR library: the packages' public faces only.
APP_PUBLIC = {"nrdp", "nrdp.testing", "abr", "abr.sim"}
# Who in apps/ may reach into the backend: the embedded backend, and the reader of the
# test content's frame ids (a property of the content the packager made).
APP_BACKEND_DOORS = {"apps/embedded.py": "fake_backend", "apps/headless/frames.py": "fake_backend"}
# Benchmarks that measure the desktop app must start Qt; no other benchmark may.
QT_USERS = ("apps/desktop/", "tests/apps/desktop/", "benchmarks/desktop_dropped_frames.py")


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violates(name: str, forbidden: set[str]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


@pytest.mark.parametrize(
    ("package", "forbidden", "exempt"), CONTRACTS, ids=[c[0] for c in CONTRACTS]
)
def test_package_respects_its_import_contract(
    package: str, forbidden: set[str], exempt: set[str]
) -> None:
    root = REPO / package
    if not root.is_dir():
        pytest.skip(f"{package} does not exist yet")
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel in exempt:
            continue
        bad += [f"{rel}: import {n}" for n in imported_roots(path) if violates(n, forbidden)]
    assert not bad, "forbidden imports:\n" + "\n".join(bad)


def test_only_the_desktop_app_imports_qt() -> None:
    offenders = []
    for path in REPO.rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith((".venv/", "build/", *QT_USERS)):
            continue
        if any(violates(n, {"PySide6"}) for n in imported_roots(path)):
            offenders.append(rel)
    assert not offenders


def app_import_violations(rel: str, names: set[str]) -> list[str]:
    """What an ``apps/`` module imports past the public faces (or into the backend)."""
    bad = []
    for n in sorted(names):
        root = n.split(".")[0]
        if root in ("nrdp", "abr") and n not in APP_PUBLIC:
            bad.append(f"{rel}: import {n} (public faces: nrdp, nrdp.testing, abr, abr.sim)")
        if root == "fake_backend" and rel not in APP_BACKEND_DOORS:
            bad.append(f"{rel}: import {n} (only apps/embedded.py starts the backend)")
    return bad


def test_apps_use_only_the_public_faces() -> None:
    bad = []
    for path in sorted((REPO / "apps").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        bad += app_import_violations(rel, imported_roots(path))
    assert not bad, "apps reach past the public API:\n" + "\n".join(bad)


def test_the_app_checker_refuses_internals() -> None:
    names = {"nrdp", "nrdp.media.decoder", "abr.sim", "abr.registry", "fake_backend.runner"}
    got = app_import_violations("apps/desktop/x.py", names)
    assert [v.split(" (")[0] for v in got] == [
        "apps/desktop/x.py: import abr.registry",
        "apps/desktop/x.py: import fake_backend.runner",
        "apps/desktop/x.py: import nrdp.media.decoder",
    ]
    assert app_import_violations("apps/embedded.py", {"fake_backend.runner", "nrdp"}) == []


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def f():\n    import asyncio.tasks\n    from av import open\n")
    assert imported_roots(f) == {"asyncio.tasks", "av"}
    assert violates("asyncio.tasks", PURE_FORBIDDEN)
