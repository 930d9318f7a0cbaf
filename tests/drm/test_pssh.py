"""'pssh' boxes: v0/v1 build and parse, corpus systems, lying sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm.errors import InvalidKey, MalformedProtectionBox
from drm.pssh import Pssh, build_pssh, find_pssh, parse_pssh
from mediacore.boxes import MalformedBox, iter_boxes
from mediacore.errors import SdkError


@settings(max_examples=150, deadline=None)
@given(
    st.binary(min_size=16, max_size=16),
    st.lists(st.binary(min_size=16, max_size=16), max_size=5),
    st.binary(max_size=100),
)
def test_round_trip(system_id: bytes, kids: list[bytes], data: bytes) -> None:
    raw = build_pssh(system_id, kids, data)
    (b,) = iter_boxes(raw)
    p = parse_pssh(b)
    assert p == Pssh(1 if kids else 0, system_id, tuple(kids), data)
    assert p.to_bytes() == raw


def test_system_id_as_uuid_text() -> None:
    raw = build_pssh("edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", [], b"\x08\x01")
    (p,) = find_pssh(raw)
    assert p.system_name == "Widevine" and p.version == 0 and p.data == b"\x08\x01"
    with pytest.raises(InvalidKey):
        build_pssh(b"short")


def test_corpus_pssh_systems(cenc_dir: Path, expected: dict[str, Any]) -> None:
    checked = 0
    for name, entry in expected.items():
        if not name.startswith("cenc/") or entry.get("kind") != "bmff":
            continue
        want = [p for p in entry["facts"].get("pssh", []) if p.get("in") == "moov"]
        got = find_pssh((cenc_dir.parent / name).read_bytes())
        got_moov = [p for p in got][: len(want)]
        assert [
            (p.system_id.hex(), p.version, [k.hex() for k in p.kids], len(p.data)) for p in got_moov
        ] == [(w["system_id"], w["version"], w["kids"], w["data_size"]) for w in want], name
        checked += len(want)
    assert checked >= 15


@pytest.mark.parametrize(
    "payload",
    [
        bytes([2, 0, 0, 0]) + bytes(16) + bytes(4),  # version 2
        bytes([1, 0, 0, 0]) + bytes(16) + (1000).to_bytes(4, "big") + bytes(4),  # KID count
        bytes([0, 0, 0, 0]) + bytes(16) + (50).to_bytes(4, "big") + bytes(3),  # data size
    ],
)
def test_lying_pssh_is_typed(payload: bytes) -> None:
    raw = (8 + len(payload)).to_bytes(4, "big") + b"pssh" + payload
    with pytest.raises(MalformedProtectionBox):
        find_pssh(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_fuzzed_pssh_payload_only_raises_sdk_errors(payload: bytes) -> None:
    raw = (8 + len(payload)).to_bytes(4, "big") + b"pssh" + payload
    try:
        find_pssh(raw)
    except (MalformedBox, MalformedProtectionBox) as exc:
        assert isinstance(exc, SdkError)
