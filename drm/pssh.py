"""The 'pssh' box (ISO/IEC 23001-7 8.1): protection system specific header, v0 and v1."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from drm.errors import InvalidKey, MalformedProtectionBox
from mediacore.boxes import Box, find_all, full_box, iter_boxes

__all__ = ["WELL_KNOWN_SYSTEMS", "Pssh", "build_pssh", "find_pssh", "parse_pssh"]

WELL_KNOWN_SYSTEMS: dict[str, str] = {
    "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b": "ClearKey",
    "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed": "Widevine",
    "9a04f079-9840-4286-ab92-e65be0885f95": "PlayReady",
    "94ce86fb-07ff-4f43-adb8-93d2fa968ca2": "FairPlay",
    "e2719d58-a985-b3c9-781a-b030af78d30e": "ClearKey (DASH-IF)",
}
"""Display names for system IDs (for `info`); any other ID is still parsed."""

_MAX_KIDS = 4096


@dataclass(frozen=True)
class Pssh:
    """One parsed 'pssh' box: system, optional KID list (v1) and opaque system data."""

    version: int
    system_id: bytes
    kids: tuple[bytes, ...]
    data: bytes

    @property
    def system_uuid(self) -> str:
        return str(uuid.UUID(bytes=self.system_id))

    @property
    def system_name(self) -> str:
        return WELL_KNOWN_SYSTEMS.get(self.system_uuid, "unknown")

    def to_bytes(self) -> bytes:
        return build_pssh(self.system_id, self.kids, self.data, version=self.version)


def parse_pssh(b: Box) -> Pssh:
    """Parse one 'pssh' box (a box located by mediacore.boxes)."""
    r = b.fields()
    version, _flags = r.u8(), r.u24()
    if version > 1:
        raise MalformedProtectionBox(f"unsupported version {version}", box=b.path)
    sid = r.bytes(16)
    kids: tuple[bytes, ...] = ()
    if version == 1:
        n = r.u32()
        if n > _MAX_KIDS or n * 16 > r.remaining:
            raise MalformedProtectionBox(f"KID count {n} does not fit the box", box=b.path)
        kids = tuple(r.bytes(16) for _ in range(n))
    size = r.u32()
    if size > r.remaining:
        raise MalformedProtectionBox(
            f"data size {size} exceeds the {r.remaining} bytes left", box=b.path
        )
    return Pssh(version, sid, kids, r.bytes(size))


def find_pssh(data: bytes | bytearray | memoryview) -> tuple[Pssh, ...]:
    """Every 'pssh' under moov or moof (or at top level) of a file or segment."""
    out: list[Pssh] = []
    for top in iter_boxes(data):
        if top.type == "pssh":
            out.append(parse_pssh(top))
        elif top.type in ("moov", "moof"):
            out.extend(parse_pssh(b) for b in find_all(top, "pssh"))
    return tuple(out)


def build_pssh(
    system_id: bytes | str,
    kids: Iterable[bytes] = (),
    data: bytes = b"",
    version: int | None = None,
) -> bytes:
    """A complete 'pssh' box; version 1 (with a KID list) whenever KIDs are given."""
    sid = uuid.UUID(system_id).bytes if isinstance(system_id, str) else bytes(system_id)
    if len(sid) != 16:
        raise InvalidKey(f"a system ID must be 16 bytes, got {len(sid)}")
    kid_list = [bytes(k) for k in kids]
    for k in kid_list:
        if len(k) != 16:
            raise InvalidKey(f"a KID must be 16 bytes, got {len(k)}")
    ver = (1 if kid_list else 0) if version is None else version
    body = sid
    if ver >= 1:
        body += len(kid_list).to_bytes(4, "big") + b"".join(kid_list)
    body += len(data).to_bytes(4, "big") + bytes(data)
    return full_box("pssh", ver, 0, body)
