"""The one ISO-BMFF (ISO/IEC 14496-12) box reader and writer of the project.

Reading is zero-copy: a :class:`Box` is a view (offset, sizes) over the caller's buffer and
its ``payload`` is a ``memoryview`` slice. Every size field is checked against the buffer it
claims to live in; a size that lies raises :class:`MalformedBox` naming the box path and the
absolute offset, never ``struct.error`` or ``IndexError``.

Field-level parsing of a payload goes through :class:`FieldReader`, which carries the same
guarantee for the fields inside a box (sidx, tenc, senc, trun, ...).

Writing (:func:`box`, :func:`full_box`, :class:`BoxNode`) builds boxes for tests and for the
packager.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from mediacore.errors import ContainerError

__all__ = [
    "CONTAINER_TYPES",
    "MAX_DEPTH",
    "Box",
    "BoxNode",
    "FieldReader",
    "MalformedBox",
    "NestingTooDeep",
    "box",
    "find_all",
    "find_first",
    "full_box",
    "iter_boxes",
    "parse_tree",
    "walk",
]

MAX_DEPTH = 32
"""Nesting depth cap: a crafted file cannot make the reader recurse without bound."""

CONTAINER_TYPES = frozenset(
    {
        "moov",
        "trak",
        "mdia",
        "minf",
        "stbl",
        "dinf",
        "edts",
        "mvex",
        "moof",
        "traf",
        "mfra",
        "udta",
        "sinf",
        "schi",
        "meco",
        "strk",
        "tref",
        "ipro",
        "rinf",
        "iprp",
    }
)
"""Boxes whose payload is nothing but child boxes."""

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_HDR = struct.Struct(">I4s")


class MalformedBox(ContainerError):
    """A box or a field inside it is truncated, or a size field lies about its extent."""

    code = 5001

    def __init__(self, message: str, *, path: str, offset: int) -> None:
        super().__init__(f"{message} (box {path or '<root>'} at offset {offset})")
        self.path = path
        self.offset = offset


class NestingTooDeep(ContainerError):
    """Boxes nest deeper than :data:`MAX_DEPTH`; refused to bound recursion."""

    code = 5002

    def __init__(self, *, path: str, offset: int, limit: int) -> None:
        super().__init__(f"box nesting deeper than {limit} at {path} (offset {offset})")
        self.path = path
        self.offset = offset
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Box:
    """One box located in a buffer. Offsets are absolute within ``buffer``."""

    type: str
    offset: int
    size: int
    header_size: int
    buffer: memoryview = field(repr=False, compare=False)
    path: str = ""
    usertype: bytes | None = None
    depth: int = 0

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def payload_offset(self) -> int:
        return self.offset + self.header_size

    @property
    def payload(self) -> memoryview:
        return self.buffer[self.payload_offset : self.end]

    def raw(self) -> memoryview:
        """The whole box, header included."""
        return self.buffer[self.offset : self.end]

    def fields(self, skip: int = 0) -> FieldReader:
        """A bounded reader over this box's payload (after ``skip`` bytes)."""
        return FieldReader(self.buffer, self.payload_offset + skip, self.end, self.path)

    def full_header(self) -> tuple[int, int]:
        """(version, flags) of a FullBox."""
        r = self.fields()
        return r.u8(), r.u24()

    def children(self, skip: int = 0) -> Iterator[Box]:
        """Child boxes inside the payload, after ``skip`` bytes (e.g. 8 for ``stsd``)."""
        if self.depth + 1 > MAX_DEPTH:
            raise NestingTooDeep(path=self.path, offset=self.offset, limit=MAX_DEPTH)
        return iter_boxes(
            self.buffer, self.payload_offset + skip, self.end, self.path, self.depth + 1
        )

    def child(self, type_: str, skip: int = 0) -> Box | None:
        for b in self.children(skip):
            if b.type == type_:
                return b
        return None


def iter_boxes(
    data: bytes | bytearray | memoryview,
    start: int = 0,
    end: int | None = None,
    parent_path: str = "",
    depth: int = 0,
) -> Iterator[Box]:
    """Iterate the sibling boxes in ``data[start:end]`` without copying."""
    buf = data if isinstance(data, memoryview) else memoryview(data)
    if buf.ndim != 1 or buf.itemsize != 1:
        buf = buf.cast("B")
    limit = len(buf) if end is None else end
    if not 0 <= start <= limit <= len(buf):
        raise MalformedBox("box range outside the buffer", path=parent_path, offset=start)
    pos = start
    while pos < limit:
        if limit - pos < 8:
            raise MalformedBox(
                f"{limit - pos} trailing bytes cannot hold a box header",
                path=parent_path,
                offset=pos,
            )
        size, raw_type = _HDR.unpack_from(buf, pos)
        type_ = raw_type.decode("latin-1")
        path = f"{parent_path}/{type_}" if parent_path else type_
        header = 8
        if size == 1:
            if limit - pos < 16:
                raise MalformedBox("truncated 64-bit largesize", path=path, offset=pos)
            size = _U64.unpack_from(buf, pos + 8)[0]
            header = 16
        elif size == 0:
            size = limit - pos
        usertype = None
        if type_ == "uuid":
            if limit - pos < header + 16:
                raise MalformedBox("truncated uuid usertype", path=path, offset=pos)
            usertype = bytes(buf[pos + header : pos + header + 16])
            header += 16
        if size < header:
            raise MalformedBox(
                f"size {size} is smaller than its {header}-byte header", path=path, offset=pos
            )
        if size > limit - pos:
            raise MalformedBox(
                f"size {size} runs past the end of its container ({limit - pos} bytes left)",
                path=path,
                offset=pos,
            )
        yield Box(type_, pos, size, header, buf, path, usertype, depth)
        pos += size


def walk(
    data: bytes | bytearray | memoryview, containers: frozenset[str] = CONTAINER_TYPES
) -> Iterator[Box]:
    """Depth-first walk of every box, descending into ``containers``."""
    stack = [iter_boxes(data)]
    while stack:
        b = next(stack[-1], None)
        if b is None:
            stack.pop()
            continue
        yield b
        if b.type in containers:
            stack.append(b.children())


def find_all(data: bytes | bytearray | memoryview | Box, path: str) -> Iterator[Box]:
    """Boxes at a slash path such as ``"moof/traf/trun"`` (containers only on the way)."""
    parts = path.split("/")
    if isinstance(data, Box):
        level: Iterable[Box] = data.children()
    else:
        level = iter_boxes(data)

    def descend(boxes: Iterable[Box], i: int) -> Iterator[Box]:
        for b in boxes:
            if b.type != parts[i]:
                continue
            if i == len(parts) - 1:
                yield b
            else:
                yield from descend(b.children(), i + 1)

    return descend(level, 0)


def find_first(data: bytes | bytearray | memoryview | Box, path: str) -> Box | None:
    return next(find_all(data, path), None)


class FieldReader:
    """Bounded big-endian field reader; reading past the box raises :class:`MalformedBox`."""

    __slots__ = ("_buf", "_end", "_path", "pos")

    def __init__(self, buf: memoryview, pos: int, end: int, path: str = "") -> None:
        self._buf = buf
        self.pos = pos
        self._end = end
        self._path = path

    @property
    def remaining(self) -> int:
        return self._end - self.pos

    def _need(self, n: int) -> int:
        if n < 0 or self.pos + n > self._end:
            raise MalformedBox(
                f"field of {n} bytes runs past the end of the box ({self.remaining} left)",
                path=self._path,
                offset=self.pos,
            )
        p = self.pos
        self.pos = p + n
        return p

    def u8(self) -> int:
        return self._buf[self._need(1)]

    def u16(self) -> int:
        p = self._need(2)
        return (self._buf[p] << 8) | self._buf[p + 1]

    def u24(self) -> int:
        p = self._need(3)
        return (self._buf[p] << 16) | (self._buf[p + 1] << 8) | self._buf[p + 2]

    def u32(self) -> int:
        return _U32.unpack_from(self._buf, self._need(4))[0]

    def i32(self) -> int:
        v = self.u32()
        return v - (1 << 32) if v & 0x80000000 else v

    def u64(self) -> int:
        return _U64.unpack_from(self._buf, self._need(8))[0]

    def uint(self, nbytes: int) -> int:
        """An unsigned integer of 0-8 bytes (e.g. sizes whose width a version selects)."""
        p = self._need(nbytes)
        return int.from_bytes(self._buf[p : p + nbytes], "big")

    def bytes(self, n: int) -> bytes:
        p = self._need(n)
        return bytes(self._buf[p : p + n])

    def view(self, n: int) -> memoryview:
        p = self._need(n)
        return self._buf[p : p + n]

    def fourcc(self) -> str:
        return self.bytes(4).decode("latin-1")

    def skip(self, n: int) -> None:
        self._need(n)

    def array(self, fmt: str, count: int) -> tuple[int, ...]:
        """``count`` big-endian integers of struct format ``fmt`` (e.g. ``"I"``), bounded."""
        st = struct.Struct(f">{count}{fmt}")
        if count < 0:
            raise MalformedBox("negative count", path=self._path, offset=self.pos)
        return st.unpack_from(self._buf, self._need(st.size))


# ---------------------------------------------------------------------------- writing


def box(
    type_: str,
    *payload: bytes | bytearray | memoryview,
    usertype: bytes | None = None,
    large: bool = False,
) -> bytes:
    """Serialize one box around ``payload`` (use ``large`` to force a 64-bit size)."""
    body = b"".join(bytes(p) for p in payload)
    fourcc = type_.encode("latin-1")
    if len(fourcc) != 4:
        raise ValueError(f"box type must be 4 characters: {type_!r}")
    ext = b""
    if type_ == "uuid":
        if usertype is None or len(usertype) != 16:
            raise ValueError("uuid boxes need a 16-byte usertype")
        ext = usertype
    header = 8 + len(ext)
    total = header + len(body)
    if large or total > 0xFFFFFFFF:
        return _U32.pack(1) + fourcc + _U64.pack(total + 8) + ext + body
    return _U32.pack(total) + fourcc + ext + body


def full_box(
    type_: str, version: int, flags: int, *payload: bytes | bytearray | memoryview
) -> bytes:
    """Serialize a FullBox: version (8 bits) and flags (24 bits) before the payload."""
    return box(type_, bytes([version]) + flags.to_bytes(3, "big"), *payload)


@dataclass(frozen=True)
class BoxNode:
    """A box tree value: either a leaf ``payload`` or ``children``; for tests and writers."""

    type: str
    payload: bytes = b""
    children: tuple[BoxNode, ...] = ()
    usertype: bytes | None = None
    large: bool = False

    def to_bytes(self) -> bytes:
        body = self.payload + b"".join(c.to_bytes() for c in self.children)
        return box(self.type, body, usertype=self.usertype, large=self.large)


def parse_tree(
    data: bytes | bytearray | memoryview, containers: frozenset[str] = CONTAINER_TYPES
) -> tuple[BoxNode, ...]:
    """Read a buffer into :class:`BoxNode` values (descending into ``containers``)."""

    def convert(b: Box) -> BoxNode:
        large = b.header_size - (16 if b.usertype is not None else 0) == 16
        if b.type in containers:
            kids = tuple(convert(c) for c in b.children())
            return BoxNode(b.type, b"", kids, b.usertype, large)
        return BoxNode(b.type, bytes(b.payload), (), b.usertype, large)

    return tuple(convert(b) for b in iter_boxes(data))
