"""Read a packaged presentation back the way a player would: MPD -> bytes -> decrypt -> decode.

Shared by the tests of our packager (tests/fake_backend/) and of the third-party generators
(tests/support/): every URL the MPD addresses must resolve to real bytes under the served
directory, and a rendition's init + segments, decrypted with ``drm``, must decode with PyAV.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import av

from drm import KeyStore, decrypt_init, decrypt_segment
from fake_backend.packager.frame_id import read_frame_id
from manifest import parse_mpd
from manifest.model import ByteRange, Manifest, Representation, SegmentBase
from tests.support.sources import frame_hash

__all__ = ["BASE", "DecodedTrack", "decode_video", "load", "rendition_bytes"]

BASE = "http://media.test/"


def load(root: Path, mpd_name: str) -> Manifest:
    """``parse_mpd`` of ``root/mpd_name`` as if served at :data:`BASE`."""
    return parse_mpd((root / mpd_name).read_bytes(), BASE + mpd_name)


def _read(root: Path, url: str, byte_range: ByteRange | None) -> bytes:
    path = root / urlsplit(url).path.lstrip("/")
    data = path.read_bytes()  # FileNotFoundError: the MPD names a file that is not there
    if byte_range is None:
        return data
    if byte_range.last >= len(data):
        raise AssertionError(f"{url}: range {byte_range} past the end ({len(data)} bytes)")
    return data[byte_range.first : byte_range.last + 1]


def with_index(root: Path, rep: Representation) -> Representation:
    """For SegmentBase: the representation with its sidx read from the indexRange bytes."""
    info = rep.addressing
    if isinstance(info, SegmentBase) and rep.sidx is None and info.index_range is not None:
        url = rep.primary_base_url
        return rep.with_sidx(_read(root, url, info.index_range))
    return rep


def rendition_bytes(root: Path, rep: Representation) -> tuple[bytes, list[bytes]]:
    """The init and every media segment of ``rep``, fetched as its addressing says."""
    rep = with_index(root, rep)
    init_ref = rep.init_segment()
    if init_ref is None:
        raise AssertionError(f"representation {rep.id} has no init segment")
    init = _read(root, init_ref.url, init_ref.byte_range)
    return init, [_read(root, s.url, s.byte_range) for s in rep.segments()]


class DecodedTrack:
    """Frames of one video rendition: luma digests and the stamped frame ids."""

    def __init__(self, hashes: list[str], ids: list[int | None]) -> None:
        self.hashes = hashes
        self.ids = ids


def clear_stream(init: bytes, segments: list[bytes], keys: Mapping[bytes, bytes]) -> bytes:
    """The decrypted (or, when clear, unchanged) init + segments as one fMP4."""
    clear_init, protection = decrypt_init(init)
    if not protection.encrypted:
        return init + b"".join(segments)
    store = KeyStore(dict(keys))
    body = b"".join(bytes(decrypt_segment(s, protection, store)) for s in segments)
    return bytes(clear_init) + body


def decode_video(data: bytes) -> DecodedTrack:
    with av.open(io.BytesIO(data), "r") as c:
        frames = list(c.decode(video=0))
    return DecodedTrack([frame_hash(f) for f in frames], [read_frame_id(f) for f in frames])
