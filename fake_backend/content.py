"""The origin: every title's files under ``<data_dir>/titles/<title_id>/``.

The seam the packager plugs into is :class:`Materializer`: given a title and its content keys,
write the title's directory (``<rung_id>/init.mp4``, ``<rung_id>/seg-<n>.m4s``, and, once the
packager/encryption/MPD writer are wired, ``manifest.mpd``). Until then
:class:`SyntheticMaterializer` writes deterministic, correctly sized ISO-BMFF-shaped files so
the OCAs, ranges and faults can be exercised.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol

from fake_backend.catalog import CatalogTitle
from mediacore.boxes import box, full_box

__all__ = ["COMPLETE_MARKER", "ContentStore", "Materializer", "SyntheticMaterializer"]

COMPLETE_MARKER = ".complete"


class Materializer(Protocol):
    """Writes one title's files into an empty directory."""

    def materialize(self, title: CatalogTitle, keys: Mapping[bytes, bytes], dest: Path) -> None: ...


class SyntheticMaterializer:
    """Deterministic stand-in media: init + segments sized by bitrate x duration x ``scale``.

    The bytes are not decodable; they are for delivery tests (ranges, faults, fills).
    """

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def materialize(self, title: CatalogTitle, keys: Mapping[bytes, bytes], dest: Path) -> None:
        for r in title.renditions:
            rdir = dest / r.id
            rdir.mkdir(parents=True, exist_ok=True)
            rng = random.Random(f"{title.id}/{r.id}")
            init = box("ftyp", b"iso6", b"\0\0\0\0", b"iso6dash") + box(
                "moov", full_box("mvhd", 0, 0, rng.randbytes(96))
            )
            (rdir / "init.mp4").write_bytes(init)
            size = max(64, int(r.bitrate_kbps * 1000 / 8 * title.segment_duration_s * self.scale))
            for n in range(1, title.segment_count + 1):
                payload = rng.randbytes(size)
                seg = box("styp", b"msdh", b"\0\0\0\0") + box("mdat", payload)
                (rdir / f"seg-{n}.m4s").write_bytes(seg)


class ContentStore:
    """The origin directory tree; materializes a title on first need (atomically)."""

    def __init__(self, root: Path, materializer: Materializer) -> None:
        self.root = root
        self.materializer = materializer
        root.mkdir(parents=True, exist_ok=True)

    def title_dir(self, title_id: str) -> Path:
        return self.root / title_id

    def is_ready(self, title_id: str) -> bool:
        return (self.title_dir(title_id) / COMPLETE_MARKER).exists()

    def ensure(self, title: CatalogTitle, keys: Mapping[bytes, bytes]) -> Path:
        dest = self.title_dir(title.id)
        if self.is_ready(title.id):
            return dest
        tmp = self.root / f".tmp-{title.id}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        self.materializer.materialize(title, keys, tmp)
        (tmp / COMPLETE_MARKER).write_text("ok\n")
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
        return dest

    def files(self, title_id: str) -> Iterator[str]:
        """Relative paths (posix) of a title's files, marker excluded."""
        base = self.title_dir(title_id)
        for p in sorted(base.rglob("*")):
            if p.is_file() and p.name != COMPLETE_MARKER:
                yield p.relative_to(base).as_posix()

    def file_path(self, title_id: str, rel: str) -> Path:
        return self.title_dir(title_id) / rel
