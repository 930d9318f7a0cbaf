"""The declared public API of each package (in the spirit of trio's test_exports.py)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = [
    "mediacore",
    "manifest",
    "drm",
    "abr",
    "abr.sim",
    "nrdp",
    "nrdp.media",
    "fake_backend.packager",
]


def _module(name: str):  # type: ignore[no-untyped-def]
    if not (REPO / name.replace(".", "/")).is_dir():
        pytest.skip(f"{name} does not exist yet")
    return importlib.import_module(name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_declared_and_every_name_exists(name: str) -> None:
    mod = _module(name)
    exported = getattr(mod, "__all__", None)
    assert isinstance(exported, list | tuple), f"{name} has no __all__"
    assert len(set(exported)) == len(exported), "duplicates in __all__"
    for attr in exported:
        assert not attr.startswith("_"), f"{name}.{attr} is private but exported"
        assert hasattr(mod, attr), f"{name}.__all__ names missing {attr}"


@pytest.mark.parametrize("name", PACKAGES)
def test_public_classes_and_functions_say_why(name: str) -> None:
    mod = _module(name)
    undocumented = [
        attr
        for attr in getattr(mod, "__all__", [])
        if (inspect.isclass(obj := getattr(mod, attr)) or inspect.isfunction(obj))
        and not (inspect.getdoc(obj) or "").strip()
    ]
    assert not undocumented, f"{name}: no docstring on {undocumented}"


@pytest.mark.parametrize("name", ["mediacore", "manifest", "drm", "abr", "nrdp"])
def test_typed_packages_ship_py_typed(name: str) -> None:
    _module(name)
    assert (REPO / name / "py.typed").is_file()


@pytest.mark.parametrize("name", ["nrdp", "nrdp.media"])
def test_lazy_packages_show_type_checkers_what_they_load(name: str) -> None:
    """A lazy ``__init__`` names its API three times (``TYPE_CHECKING`` imports for mypy,
    the name -> module map for the runtime, ``__all__``): they must agree, or mypy and the
    running program see different APIs."""
    import ast

    path = REPO / name.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text())
    guarded = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    typed = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    mod = _module(name)
    assert typed == mod._WHERE
    assert set(mod.__all__) == set(typed)
    assert set(mod.__all__) <= set(dir(mod))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        mod.Nope  # noqa: B018
