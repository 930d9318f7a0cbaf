"""Structure-aware mutations of a JSON response: the valid document with one value replaced
by the wrong type, a huge or non-finite number, a giant string, deep nesting, or a key
removed. Random bytes rarely get past ``json.loads``; these reach the code that reads the
values. Used by ``make test`` (Hypothesis draws the ``Random``) and ``make fuzz`` (atheris's
custom mutator seeds it)."""

from __future__ import annotations

import json
import random
from typing import Any

_HOSTILE: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1 << 64,
    -(1 << 63),
    1e308,
    0.5,
    "",
    "x",
    "0" * 40,
    [],
    {},
    [None],
    {"": None},
)
_RAW = (
    b"1e400",  # json reads it as inf
    b"-1e400",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"9" * 400,  # an int past float's range: float() raises OverflowError
    b"9" * 5000,  # over int's digit limit: ValueError
    b'"' + b"\\ud800" + b'"',  # a lone surrogate
    b"[" * 5000 + b"]" * 5000,  # nesting past the recursion limit
    b'"' + b"a" * 60_000 + b'"',
)
_MARK = "\ufdd0nrdp-fuzz\ufdd0"


def _paths(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [at]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*at, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*at, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any, *, drop: bool = False) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    """``data`` with one structural change; not JSON: ``data`` as it is."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return data
    path = rng.choice(_paths(doc))
    roll = rng.random()
    if roll < 0.15 and path:
        return json.dumps(_set(doc, path, None, drop=True)).encode()
    if roll < 0.55:
        return json.dumps(_set(doc, path, rng.choice(_HOSTILE))).encode()
    if roll < 0.65:
        return json.dumps(_set(doc, path, [_set_copy(doc, path)] * rng.randint(2, 64))).encode()
    text = json.dumps(_set(doc, path, _MARK))
    return text.replace(json.dumps(_MARK), "\0").encode().replace(b"\0", rng.choice(_RAW))


def _set_copy(doc: Any, path: tuple[Any, ...]) -> Any:
    value = doc
    for key in path:
        value = value[key]
    return json.loads(json.dumps(value))


def mutate_tail(data: bytes, rng: random.Random, head: int) -> bytes:
    """:func:`mutate_json` on what follows the first ``head`` bytes (a target's framing)."""
    return data[:head] + mutate_json(data[head:], rng)


def mutate_after_line(data: bytes, rng: random.Random) -> bytes:
    """:func:`mutate_json` on what follows the first newline (a status byte and a header
    line before the body)."""
    cut = data.find(b"\n") + 1
    return data[:cut] + mutate_json(data[cut:], rng) if cut else data
