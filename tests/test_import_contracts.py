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
    ("apps/headless", {"PySide6", "apps.desktop", "fake_backend.store"}, set()),
]


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
        if rel.startswith((".venv/", "apps/desktop/", "tests/apps/desktop/", "build/")):
            continue
        if any(violates(n, {"PySide6"}) for n in imported_roots(path)):
            offenders.append(rel)
    assert not offenders


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def f():\n    import asyncio.tasks\n    from av import open\n")
    assert imported_roots(f) == {"asyncio.tasks", "av"}
    assert violates("asyncio.tasks", PURE_FORBIDDEN)
