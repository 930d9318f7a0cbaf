"""Composing a scenario file safely: size, depth, alias and tag limits before any value.

A scenario file is untrusted input (it arrives by mail, in a CI job). PyYAML's safe loader
still accepts documents that blow up later: an alias bomb (a 1 KB file that expands to
billions of nodes), nesting deep enough to hit Python's recursion limit, mappings as keys
(unhashable), unknown tags and control characters. :func:`compose` refuses all of them
with the line they are on, so the CLI answers ``FILE:LINE: reason`` and exit 2.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

__all__ = ["LIMITS", "SafeLoadError", "SafeLoadLimits", "compose"]


class SafeLoadLimits:
    """The bounds (one place; docs/headless.md "Scenario files")."""

    max_bytes = 1 << 20
    max_depth = 32
    max_aliases = 64
    max_nodes = 100_000
    """Nodes after expanding every alias (what a consumer walking the document visits)."""


LIMITS = SafeLoadLimits()
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
)


class SafeLoadError(Exception):
    """The document breaks a limit; ``line`` is 1-based (None: the whole file)."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _check_text(text: str) -> None:
    if len(text.encode("utf-8", "surrogatepass")) > LIMITS.max_bytes:
        raise SafeLoadError(None, f"file larger than {LIMITS.max_bytes} bytes")
    bad = _CONTROL.search(text)
    if bad is not None:
        code = ord(bad.group())
        raise SafeLoadError(_line_of(text, bad.start()), f"control character U+{code:04X}")


def _check_json_depth(text: str) -> None:
    """JSON nesting deeper than the limit, found without recursion (json.loads recurses)."""
    depth = 0
    in_string = escaped = False
    for pos, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > LIMITS.max_depth:
                raise SafeLoadError(_line_of(text, pos), f"nested deeper than {LIMITS.max_depth}")
        elif ch in "]}":
            depth -= 1


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer counts depth and aliases as it goes (before recursing)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > LIMITS.max_aliases:
                line = self.peek_event().start_mark.line + 1
                raise SafeLoadError(line, f"more than {LIMITS.max_aliases} aliases")
        self._depth += 1
        try:
            if self._depth > LIMITS.max_depth:
                line = self.peek_event().start_mark.line + 1
                raise SafeLoadError(line, f"nested deeper than {LIMITS.max_depth}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_node(node: yaml.Node) -> None:
    line = node.start_mark.line + 1
    if node.tag not in _CORE_TAGS:
        raise SafeLoadError(line, f"unknown tag {node.tag[:60]!r}")
    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise SafeLoadError(key.start_mark.line + 1, "a mapping key must be a scalar")


def _check_nodes(root: yaml.Node) -> None:
    """Tags, keys, cycles and the size with aliases expanded; each node is visited once
    (aliases share nodes), without recursion."""
    size: dict[int, int | None] = {}  # None: being visited (seen again -> a cycle)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            total = 1 + sum(size[id(k)] or 0 for k in _children(node))
            if total > LIMITS.max_nodes:
                raise SafeLoadError(
                    node.start_mark.line + 1, f"expands to more than {LIMITS.max_nodes} nodes"
                )
            size[key] = total
            continue
        if key in size:
            if size[key] is None:
                raise SafeLoadError(node.start_mark.line + 1, "recursive alias")
            continue
        _check_node(node)
        size[key] = None
        stack.append((node, True))
        stack += [(k, False) for k in _children(node) if id(k) not in size or size[id(k)] is None]


def compose(text: str, *, json_syntax: bool = False) -> tuple[yaml.Node | None, yaml.SafeLoader]:
    """The document's node tree and the loader to construct its values with; raises
    :class:`SafeLoadError` (with a line) for anything over the limits."""
    _check_text(text)
    if json_syntax:
        _check_json_depth(text)
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise SafeLoadError(exc.lineno, f"invalid JSON: {exc.msg}") from None
    loader = _BoundedLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SafeLoadError(
            mark.line + 1 if mark else None, f"invalid YAML: {exc.problem}"
        ) from None
    except yaml.YAMLError as exc:
        raise SafeLoadError(None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if root is not None:
        _check_nodes(root)
    return root, loader
