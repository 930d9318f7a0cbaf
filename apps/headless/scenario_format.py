"""Scenario files (YAML or JSON): parsing and strict validation with line numbers.

A scenario is a mapping with ``steps``: a list whose items are one-key mappings
``{step_name: {arg: value}}`` (or a bare step name). Every step name and argument is
checked against :data:`STEPS` before anything runs; a mistake raises
:class:`ScenarioFormatError` naming the file and the line (from YAML's marks; JSON files
are parsed as YAML for their marks after ``json`` has checked their syntax).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from apps.headless.faults import PLAN_FIELDS, SERVICES
from apps.headless.options import (
    NetworkOptions,
    OptionError,
    from_scenario,
    key_of,
    network_from_scenario,
    network_keys,
    scenario_keys,
)
from apps.headless.safe_load import SafeLoadError, compose

__all__ = ["STEPS", "Scenario", "ScenarioFormatError", "Step", "load_scenario", "scenario_files"]

NUM = (int, float)
STR = (str,)
INT = (int,)
BOOL = (bool,)

# step -> arg -> (accepted types, required, allowed values or None)
_Arg = tuple[tuple[type, ...], bool, tuple[Any, ...] | None]
_PLAN_ARGS: dict[str, _Arg] = {
    "latency_ms": (NUM, False, None),
    "ttfb_ms": (NUM, False, None),
    "bandwidth_kbps": (NUM, False, None),
    "trace": ((str, list), False, None),
    "error_rate": (NUM, False, None),
    "error_status": (INT, False, None),
    "reset_rate": (NUM, False, None),
    "stall_after_bytes": (INT, False, None),
    "stall_ms": (NUM, False, None),
    "truncate_after_bytes": (INT, False, None),
    "down": (BOOL, False, None),
    "paths": (STR, False, None),
    "seed": (INT, False, None),
    "trickle_bps": (INT, False, None),
}
assert set(_PLAN_ARGS) == PLAN_FIELDS
STEPS: dict[str, dict[str, _Arg]] = {
    "login": {"email": (STR, False, None), "password": (STR, False, None)},
    "signup": {"plan": (STR, False, ("basic", "standard", "premium"))},
    "browse": {"min_rows": (INT, False, None), "expect_degraded": (BOOL, False, None)},
    "search": {
        "query": (STR, True, None),
        "min_results": (INT, False, None),
        "expect_error": (BOOL, False, None),
        "max_seconds": (NUM, False, None),
    },
    "play": {  # the play options' keys (apps/headless/options.py), plus the step's own
        **{k: (o.kinds, k == "title", o.choices) for k, o in scenario_keys().items()},
        "wait": (BOOL, False, None),
    },
    "wait": {
        "seconds": (NUM, False, None),
        "until": (STR, False, ("done", "playing", "segments", "position")),
        "count": (INT, False, None),
        "position": (NUM, False, None),
        "timeout": (NUM, False, None),
    },
    "seek": {"position": (NUM, True, None)},
    "pause": {},
    "resume": {},
    "stop": {},
    "fault": {
        "oca": ((str, int), True, None),
        "client": (STR, False, ("self",)),
        "clear": (BOOL, False, None),
        "trace_format": (STR, False, ("kbps", "cooked", "mahimahi")),
        **_PLAN_ARGS,
    },
    "service_fault": {
        "service": (STR, True, SERVICES),
        "error_rate": (NUM, False, None),
        "latency_ms": (NUM, False, None),
    },
    "kill_discovery": {},
    "live": {
        "channel": (STR, True, None),
        "action": (STR, True, ("period", "late", "missing", "clear", "end", "clock")),
        "in_s": (NUM, False, None),
        "segments": (INT, False, None),
        "seconds": (NUM, False, None),
        "after": (INT, False, None),
        "skew_s": (NUM, False, None),
    },
    "expect": {
        "max_rebuffer_ratio": (NUM, False, None),
        "min_avg_bitrate_kbps": (NUM, False, None),
        "no_errors": (BOOL, False, None),
        "error_code": (INT, False, None),
        "frames_in_order": (BOOL, False, None),
        "frames_complete": (BOOL, False, None),
        "min_failovers": (INT, False, None),
        "max_stalls": (INT, False, None),
        "state": (STR, False, ("ended", "error", "stopped")),
        "max_startup_ms": (NUM, False, None),
        "min_frames": (INT, False, None),
    },
}
_TOP = {
    "name": STR,
    "description": STR,
    "speed": STR,
    "tags": (list,),
    "steps": (list,),
    "network": (dict,),
}


class ScenarioFormatError(Exception):
    """A malformed scenario file; ``str()`` is ``FILE:LINE: reason``."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Step:
    name: str
    args: dict[str, Any]
    line: int
    arg_lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    description: str
    speed: str
    steps: tuple[Step, ...]
    network: NetworkOptions | None = None
    """The emulated link the scenario runs behind (``network:``; root), or None."""


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _tname(types: tuple[type, ...]) -> str:
    names = {int: "integer", float: "number", str: "string", bool: "boolean", list: "list"}
    if types == NUM:
        return "number"
    return " or ".join(names.get(t, t.__name__) for t in types)


def _parse_step(path: Path, node: yaml.Node, loader: yaml.SafeLoader) -> Step:
    line = _line(node)
    if isinstance(node, yaml.ScalarNode):
        name, args_node = str(loader.construct_object(node)), None
    elif isinstance(node, yaml.MappingNode) and len(node.value) == 1:
        key_node, args_node = node.value[0]
        name = str(loader.construct_object(key_node))
    else:
        raise ScenarioFormatError(path, line, "a step is a one-key mapping {step: {args}}")
    spec = STEPS.get(name)
    if spec is None:
        raise ScenarioFormatError(
            path, line, f"unknown step {name!r}; known: {', '.join(sorted(STEPS))}"
        )
    args: dict[str, Any] = {}
    arg_lines: dict[str, int] = {}
    if args_node is not None and not (
        isinstance(args_node, yaml.ScalarNode) and args_node.tag.endswith(":null")
    ):
        if not isinstance(args_node, yaml.MappingNode):
            raise ScenarioFormatError(path, _line(args_node), f"{name}: arguments are a mapping")
        for k_node, v_node in args_node.value:
            key = loader.construct_object(k_node)
            kline = _line(k_node)
            if key not in spec:
                known = ", ".join(sorted(spec)) or "none"
                raise ScenarioFormatError(
                    path, kline, f"{name}: unknown argument {key!r} (known: {known})"
                )
            value = loader.construct_object(v_node, deep=True)
            types, _, allowed = spec[key]
            if not _type_ok(value, types):
                raise ScenarioFormatError(
                    path, _line(v_node), f"{name}.{key}: expected a {_tname(types)}, got {value!r}"
                )
            if allowed is not None and value not in allowed:
                raise ScenarioFormatError(
                    path, _line(v_node), f"{name}.{key}: must be one of {list(allowed)}"
                )
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise ScenarioFormatError(path, _line(v_node), f"{name}.{key}: must be >= 0")
            args[key] = value
            arg_lines[key] = kline
    for key, (_, required, _) in spec.items():
        if required and key not in args:
            raise ScenarioFormatError(path, line, f"{name}: missing required argument {key!r}")
    if name == "wait" and ("seconds" in args) == ("until" in args):
        raise ScenarioFormatError(path, line, "wait: give exactly one of 'seconds' or 'until'")
    if name == "play":
        try:
            from_scenario(args)
        except OptionError as exc:
            key = key_of(exc.option) if exc.option else ""
            raise ScenarioFormatError(
                path, arg_lines.get(key, line), f"play.{key}: {exc}"
            ) from None
    if name == "fault" and "client" in args and args.get("down") is True:
        raise ScenarioFormatError(
            path,
            arg_lines["down"],
            "fault.down: an OCA is down for every client (drop 'client' or 'down')",
        )
    if name == "expect" and not args:
        raise ScenarioFormatError(path, line, "expect: needs at least one assertion")
    return Step(name, args, line, arg_lines)


def _parse_network(path: Path, node: yaml.Node, loader: yaml.SafeLoader) -> NetworkOptions:
    """``network: {trace: FILE, rtt_ms: MS, trace_format: F}``, checked key by key with the
    play options' network schema (a bad value names its line)."""
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioFormatError(path, _line(node), "network: a mapping {trace, rtt_ms, ...}")
    spec = network_keys()
    args: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for k_node, v_node in node.value:
        key = loader.construct_object(k_node)
        if key not in spec:
            known = ", ".join(sorted(spec))
            raise ScenarioFormatError(
                path, _line(k_node), f"network: unknown key {key!r} (known: {known})"
            )
        value = loader.construct_object(v_node, deep=True)
        opt = spec[key]
        if not _type_ok(value, opt.kinds):
            raise ScenarioFormatError(
                path, _line(v_node), f"network.{key}: expected a {_tname(opt.kinds)}, got {value!r}"
            )
        if opt.choices is not None and value not in opt.choices:
            raise ScenarioFormatError(
                path, _line(v_node), f"network.{key}: must be one of {list(opt.choices)}"
            )
        args[key] = value
        lines[key] = _line(v_node)
    try:
        return network_from_scenario(args, path.parent)
    except OptionError as exc:
        key = exc.option if exc.option in spec else ""
        raise ScenarioFormatError(
            path, lines.get(key, _line(node)), f"network.{key}: {exc}"
        ) from None


def load_scenario(path: Path) -> Scenario:
    """Read and validate one scenario file (``.yaml``, ``.yml`` or ``.json``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFormatError(path, None, f"cannot read: {exc}") from None
    try:
        root, loader = compose(text, json_syntax=path.suffix == ".json")
    except SafeLoadError as exc:
        raise ScenarioFormatError(path, exc.line, exc.reason) from None
    if not isinstance(root, yaml.MappingNode):
        line = _line(root) if root is not None else 1
        raise ScenarioFormatError(path, line, "a scenario is a mapping with 'steps'")
    top: dict[str, Any] = {}
    steps_node: yaml.Node | None = None
    for k_node, v_node in root.value:
        key = loader.construct_object(k_node)
        if key not in _TOP:
            raise ScenarioFormatError(
                path, _line(k_node), f"unknown key {key!r} (known: {', '.join(sorted(_TOP))})"
            )
        if key == "steps":
            steps_node = v_node
            continue
        if key == "network":
            top[key] = _parse_network(path, v_node, loader)
            continue
        value = loader.construct_object(v_node, deep=True)
        if not _type_ok(value, _TOP[key]):
            raise ScenarioFormatError(path, _line(v_node), f"{key}: wrong type")
        top[key] = value
    if not isinstance(steps_node, yaml.SequenceNode) or not steps_node.value:
        line = _line(steps_node) if steps_node is not None else _line(root)
        raise ScenarioFormatError(path, line, "'steps' must be a non-empty list")
    speed = top.get("speed", "fast")
    if speed not in ("fast", "realtime"):
        raise ScenarioFormatError(path, _line(root), "speed: must be 'fast' or 'realtime'")
    steps = tuple(_parse_step(path, n, loader) for n in steps_node.value)
    return Scenario(
        path=path,
        name=str(top.get("name", path.stem)),
        description=str(top.get("description", "")),
        speed=speed,
        steps=steps,
        network=top.get("network"),
    )


def scenario_files(target: Path) -> list[Path]:
    """A file, or every ``*.yaml``/``*.yml``/``*.json`` directly in a directory (sorted)."""
    if target.is_dir():
        return sorted(
            p for p in target.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p.is_file()
        )
    return [target]
