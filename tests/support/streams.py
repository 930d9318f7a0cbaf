"""The value every third-party generator returns, its shared constants, and the session cache.

See :mod:`tests.support.thirdparty` (the one import point for tests).
"""

from __future__ import annotations

import atexit
import functools
import inspect
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from tests.support.sources import Rung, SourceMedia, encode_source

__all__ = [
    "CENC_NS",
    "FPS",
    "KEY",
    "KID",
    "LADDER_A",
    "LADDER_B",
    "MPD_NS",
    "SECONDS",
    "SEGMENT_S",
    "ThirdPartyStream",
    "fresh_dir",
    "memo",
    "session_dir",
    "source",
]

FPS = 24
SEGMENT_S = 2.0
SECONDS = 6.0
LADDER_A = (Rung(256, 144, 250), Rung(384, 216, 400), Rung(640, 360, 800))
LADDER_B = (Rung(320, 180, 300), Rung(512, 288, 600))
KID = bytes.fromhex("0123456789abcdef0123456789abcdef")
KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
CENC_NS = "urn:mpeg:cenc:2013"


@dataclass(frozen=True)
class ThirdPartyStream:
    """One generated presentation: ``mpd`` under ``dir`` (serve ``dir`` as the origin)."""

    tool: str
    dir: Path
    mpd: Path
    frame_count: int
    """Video frames of the whole presentation (every Period)."""
    fps: int
    first_frame_id: int
    reference: Mapping[int, tuple[str, ...]]
    """Rendition height -> per-frame luma digests (:func:`tests.support.sources.frame_hash`)
    of the clear source, in presentation order. In a multi-Period stream each height covers
    only the frames of the Period whose ladder has it (``two_period``)."""
    keys: Mapping[bytes, bytes] = field(default_factory=dict)
    """KID -> content key (empty when clear)."""

    @property
    def encrypted(self) -> bool:
        return bool(self.keys)

    @property
    def frame_ids(self) -> range:
        """The frame ids stamped into the pictures, in presentation order."""
        return range(self.first_frame_id, self.first_frame_id + self.frame_count)

    @property
    def mpd_name(self) -> str:
        return self.mpd.relative_to(self.dir).as_posix()


P = ParamSpec("P")
R = TypeVar("R")


def memo(fn: Callable[P, R]) -> Callable[P, R]:
    """Cache by argument *values* (``f()`` and ``f(x=default)`` share one result and dir)."""
    sig = inspect.signature(fn)
    cache: dict[tuple[tuple[str, object], ...], R] = {}

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        key = tuple(bound.arguments.items())
        if key not in cache:
            cache[key] = fn(*args, **kwargs)
        return cache[key]

    return wrapper


def fresh_dir(path: Path) -> Path:
    """An empty ``path`` (a half-written one from a failed earlier call is removed)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


@functools.cache
def session_dir() -> Path:
    """A directory for this process's generated content, removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="nrdp-thirdparty-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


@memo
def source(
    ladder: tuple[Rung, ...] = LADDER_A,
    seconds: float = SECONDS,
    first_frame_id: int = 0,
    audio: bool = True,
) -> SourceMedia:
    """The encoded picture (cached): what every generator repackages."""
    name = f"source-{len(ladder)}r-{seconds:g}s-{first_frame_id}-{int(audio)}.nut"
    return encode_source(
        session_dir() / name,
        ladder,
        fps=FPS,
        seconds=seconds,
        gop_s=SEGMENT_S,
        first_frame_id=first_frame_id,
        audio=audio,
    )
