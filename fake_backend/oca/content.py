"""The files one OCA holds: safe path resolution under its root, content types, holdings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fake_backend.errors import PathForbidden

__all__ = ["TitleFiles", "content_type"]

_TITLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
    ".mpd": "application/dash+xml",
    ".json": "application/json",
    ".vtt": "text/vtt",
    ".png": "image/png",
}


def content_type(path: Path) -> str:
    return _CONTENT_TYPES.get(path.suffix, "application/octet-stream")


class TitleFiles:
    """Title directories under ``root``; no request path can name a file outside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._root_resolved = root.resolve()

    def file_path(self, title_id: str, rel: str) -> Path:
        return self.root / title_id / rel

    def has_file(self, title_id: str, rel: str) -> bool:
        return (self.root / title_id / rel).is_file()

    def resolve(self, title_id: str, rel: str) -> Path:
        """The file under the root, or PathForbidden for anything that could escape."""
        shown = f"{title_id}/{rel}"[:200].encode("utf-8", "backslashreplace").decode()
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            raise PathForbidden(path=shown) from None
        if not _TITLE_ID.fullmatch(title_id):
            raise PathForbidden(path=shown)
        parts = rel.split("/")
        for p in parts:
            if p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\0" in p:
                raise PathForbidden(path=shown)
        path = (self.root / title_id / rel).resolve()
        if not path.is_relative_to(self._root_resolved):
            raise PathForbidden(path=shown)
        return path

    def titles(self, origin_file_count: Any) -> dict[str, dict[str, Any]]:
        """Per title directory: files held, the origin's total, complete or not."""
        titles = {}
        for tdir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            held = sum(1 for f in tdir.rglob("*") if f.is_file() and not f.name.startswith("."))
            total = origin_file_count(tdir.name)
            titles[tdir.name] = {"files": held, "total": total, "complete": held >= total > 0}
        return titles
