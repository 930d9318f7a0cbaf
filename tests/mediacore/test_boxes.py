"""The one box reader: round trips, every header form, and lying sizes."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediacore.boxes import (
    CONTAINER_TYPES,
    MAX_DEPTH,
    BoxNode,
    MalformedBox,
    NestingTooDeep,
    box,
    find_all,
    find_first,
    full_box,
    iter_boxes,
    parse_tree,
    walk,
)
from mediacore.errors import ContainerError

LEAF_TYPES = ["free", "mdat", "tkhd", "trun", "senc", "sidx", "abcd"]
CONTAINERS = sorted(CONTAINER_TYPES)


def trees(max_leaves: int = 20) -> st.SearchStrategy[BoxNode]:
    leaf = st.builds(
        BoxNode,
        type=st.sampled_from([*LEAF_TYPES, "uuid"]),
        payload=st.binary(max_size=64),
        large=st.booleans(),
    ).map(
        lambda n: BoxNode(
            n.type, n.payload, (), b"0123456789abcdef" if n.type == "uuid" else None, n.large
        )
    )

    def extend(children: st.SearchStrategy[BoxNode]) -> st.SearchStrategy[BoxNode]:
        return st.builds(
            lambda t, kids, large: BoxNode(t, b"", tuple(kids), None, large),
            st.sampled_from(CONTAINERS),
            st.lists(children, max_size=4),
            st.booleans(),
        )

    return st.recursive(leaf, extend, max_leaves=max_leaves)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(trees(), max_size=4))
def test_written_trees_read_back_identically(nodes: list[BoxNode]) -> None:
    data = b"".join(n.to_bytes() for n in nodes)
    assert parse_tree(data) == tuple(nodes)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=256))
def test_random_bytes_raise_only_typed_errors(data: bytes) -> None:
    try:
        for b in walk(data):
            assert 0 <= b.offset <= b.end <= len(data)
            b.full_header() if b.size - b.header_size >= 4 else None
    except ContainerError as exc:
        assert exc.code in (5001, 5002)


@settings(max_examples=300, deadline=None)
@given(trees(), st.data())
def test_truncated_trees_raise_malformed_box_with_path(node: BoxNode, data: st.DataObject) -> None:
    raw = node.to_bytes()
    cut = data.draw(st.integers(min_value=1, max_value=len(raw) - 1))
    with pytest.raises(MalformedBox) as info:
        list(walk(raw[:cut]))
    assert info.value.path or "<root>" in str(info.value)
    assert 0 <= info.value.offset <= cut


def test_largesize_and_size_zero_and_uuid() -> None:
    large = box("mdat", b"x" * 10, large=True)
    assert struct.unpack(">I", large[:4])[0] == 1
    (b,) = iter_boxes(large)
    assert (b.type, b.size, b.header_size, bytes(b.payload)) == ("mdat", 26, 16, b"x" * 10)

    to_end = struct.pack(">I4s", 0, b"mdat") + b"payload"
    (b,) = iter_boxes(b"" + to_end)
    assert b.size == len(to_end) and bytes(b.payload) == b"payload"

    u = box("uuid", b"abc", usertype=bytes(range(16)))
    (b,) = iter_boxes(u)
    assert b.usertype == bytes(range(16)) and bytes(b.payload) == b"abc"


def test_payload_is_zero_copy() -> None:
    data = bytearray(box("free", b"hello"))
    (b,) = iter_boxes(data)
    data[8] = ord("J")
    assert bytes(b.payload) == b"Jello"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (struct.pack(">I4s", 4, b"free"), "smaller than its 8-byte header"),
        (struct.pack(">I4s", 100, b"free") + b"x", "runs past the end"),
        (struct.pack(">I4sQ", 1, b"mdat", 8), "smaller than its 16-byte header"),
        (struct.pack(">I4s", 1, b"mdat") + b"\0\0", "largesize"),
        (b"\0\0\0", "cannot hold a box header"),
    ],
)
def test_lying_sizes_are_named(raw: bytes, fragment: str) -> None:
    with pytest.raises(MalformedBox, match=fragment):
        list(iter_boxes(raw))


def test_error_names_nested_path_and_absolute_offset() -> None:
    inner_bad = struct.pack(">I4s", 999, b"trun")
    data = box("free", b"12") + box("moof", box("traf", box("tfhd", b"abcd"), inner_bad))
    with pytest.raises(MalformedBox) as info:
        list(walk(data))
    assert info.value.path == "moof/traf/trun"
    assert info.value.offset == 10 + 8 + 8 + 12


def test_nesting_depth_is_capped() -> None:
    node = BoxNode("free", b"x")
    for _ in range(MAX_DEPTH + 5):
        node = BoxNode("moov", children=(node,))
    with pytest.raises(NestingTooDeep):
        list(walk(node.to_bytes()))


def test_find_paths_and_full_header() -> None:
    data = box("moof", box("traf", full_box("trun", 1, 0x000305, b"\0\0\0\2")), box("traf"))
    truns = list(find_all(data, "moof/traf/trun"))
    assert len(truns) == 1
    assert truns[0].full_header() == (1, 0x000305)
    assert find_first(data, "moof/traf/tfhd") is None
    moof = find_first(data, "moof")
    assert moof is not None and [b.type for b in moof.children()] == ["traf", "traf"]


def test_field_reader_is_bounded() -> None:
    (b,) = iter_boxes(full_box("tenc", 1, 0, bytes([1, 2, 3, 4, 5])))
    r = b.fields(4)
    assert r.u16() == 0x0102 and r.u8() == 3 and r.remaining == 2
    with pytest.raises(MalformedBox) as info:
        r.u32()
    assert info.value.path == "tenc"
    assert r.uint(2) == 0x0405
    with pytest.raises(MalformedBox):
        r.array("I", 1_000_000_000)
