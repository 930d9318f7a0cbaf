"""A natural-image moving picture: photographs panned and zoomed, with cuts and film grain.

Gradients compress far better than camera footage, so their segment sizes are flat and
unlike real content. Here every scene is a photograph shipped inside an installed package
(scikit-image's ``skimage.data``, matplotlib's sample data; nothing is downloaded), slowly
panned and zoomed like a camera move, with a little hand-held shake and film grain whose
strength changes per scene. Hard cuts between scenes cost the encoder an expensive frame,
textured scenes (grass, gravel) cost more than smooth ones (a face, the sky): the bitrate
varies between scenes as it does on real video.

Every frame is a pure function of its number (the scene plan repeats with a fixed period),
so any frame can be re-rendered at will. Cheap by construction: each photo is converted to
YUV and resized once per picture size (a plate 25% larger than the frame), and a frame is
two index gathers out of its plate plus one add of a precomputed grain field. The frame-id
band is stamped on top (:func:`~fake_backend.packager.frame_id.stamp`), as on every picture.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import math
import threading
import zlib
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from fake_backend.packager.frame_id import stamp
from fake_backend.packager.picture import SyntheticPicture, YuvFrame
from fake_backend.packager.spec import TitleSpec

__all__ = [
    "PHOTOS",
    "NaturalPicture",
    "Scene",
    "available_photos",
    "scene_plan",
    "title_picture",
]

PHOTOS: tuple[tuple[str, str], ...] = (
    ("skimage.data", "astronaut.png"),
    ("skimage.data", "grass.png"),
    ("skimage.data", "coffee.png"),
    ("skimage.data", "motorcycle_left.png"),
    ("skimage.data", "chelsea.png"),
    ("skimage.data", "gravel.png"),
    ("skimage.data", "hubble_deep_field.jpg"),
    ("skimage.data", "rocket.jpg"),
    ("skimage.data", "camera.png"),
    ("skimage.data", "retina.jpg"),
    ("skimage.data", "brick.png"),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
)
"""(package, file inside it) of every photograph a scene may show, in plan order."""

OVERSCAN = 1.25
"""A plate is this much larger than the frame: room to pan, and zoom 1.0 is a slight shrink."""
MAX_ZOOM = 1.6
PLATE_CACHE_BYTES = 64 << 20
"""Plates kept in memory: all of them at 720p and below, six at 1080p."""
SCENES_PER_CYCLE = 16
GRAIN_FIELDS = 4
GRAIN_SIGMA = 2.0
"""Grain standard deviation (luma steps) per unit of a scene's ``grain`` level."""


@dataclass(frozen=True)
class Scene:
    """One shot: a photo seen through a window that moves from ``start`` to ``end``.

    ``zoom`` 1.0 shows the whole plate (the photo cropped to the frame's aspect); centres
    are fractions of the plate. ``grain`` scales the film grain (0 = none), ``shake`` is
    the hand-held jitter in plate pixels.
    """

    photo: int
    first_frame: int
    frames: int
    zoom: tuple[float, float]
    centre_start: tuple[float, float]
    centre_end: tuple[float, float]
    grain: int
    shake: float


def available_photos() -> tuple[Path, ...]:
    """Paths of the :data:`PHOTOS` installed here (matplotlib's is always present)."""
    found = []
    for package, name in PHOTOS:
        if importlib.util.find_spec(package.split(".")[0]) is None:
            continue
        path = Path(str(importlib.resources.files(package))) / name
        if path.is_file():
            found.append(path)
    if not found:
        raise FileNotFoundError("no sample photograph installed (skimage or matplotlib)")
    return tuple(found)


def scene_plan(fps: int, seed: int, photos: int) -> tuple[Scene, ...]:
    """One cycle of :data:`SCENES_PER_CYCLE` shots, 2 to 7 s each (the plan then repeats)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(photos)
    scenes = []
    first = 0
    for k in range(SCENES_PER_CYCLE):
        frames = max(2, round(float(rng.uniform(2.0, 7.0)) * fps))
        z0, z1 = (float(z) for z in rng.uniform(1.0, MAX_ZOOM, size=2))
        if rng.random() < 0.3:  # a locked-off shot: the camera holds still
            z1 = z0
        c0 = (float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7)))
        c1 = c0 if z1 == z0 else (float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.2, 0.8)))
        grain = int(rng.integers(0, 4))
        shake = float(rng.choice([0.0, 0.0, 1.5, 4.0]))
        scenes.append(Scene(int(order[k % photos]), first, frames, (z0, z1), c0, c1, grain, shake))
        first += frames
    return tuple(scenes)


@functools.cache
def _photo(path: Path) -> NDArray[np.uint8]:
    """The decoded photo as RGB (kept: a dozen small photos, and decoding is the slow part
    of making a plate for a small rung)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    rgb = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
    rgb.flags.writeable = False
    return rgb


_plates: OrderedDict[tuple[Path, int, int], NDArray[np.uint8]] = OrderedDict()
_plates_lock = threading.Lock()


def _plate(path: Path, width: int, height: int) -> NDArray[np.uint8]:
    """:func:`_make_plate`, cached up to :data:`PLATE_CACHE_BYTES` (least recently used
    out): every plate of a small rung stays, so long low-resolution titles build each once."""
    key = (path, width, height)
    with _plates_lock:
        plate = _plates.get(key)
        if plate is not None:
            _plates.move_to_end(key)
            return plate
    plate = _make_plate(path, width, height)
    with _plates_lock:
        _plates[key] = plate
        while len(_plates) > 1 and sum(p.nbytes for p in _plates.values()) > PLATE_CACHE_BYTES:
            _plates.popitem(last=False)
    return plate


def _make_plate(path: Path, width: int, height: int) -> NDArray[np.uint8]:
    """The photo centre-cropped to ``width:height``, resized to :data:`OVERSCAN` times the
    frame, as full-resolution Y, U, V planes ``(3, h, w)``."""
    full = _photo(path)
    photo_h, photo_w = full.shape[:2]
    aspect = width / height
    crop_w = min(photo_w, round(photo_h * aspect))
    crop_h = min(photo_h, round(photo_w / aspect))
    x0, y0 = (photo_w - crop_w) // 2, (photo_h - crop_h) // 2
    rgb = np.ascontiguousarray(full[y0 : y0 + crop_h, x0 : x0 + crop_w])
    cropped = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    plate = cropped.reformat(
        width=_even(width * OVERSCAN),
        height=_even(height * OVERSCAN),
        format="yuv444p",
        interpolation="LANCZOS",
    )
    return np.ascontiguousarray(plate.to_ndarray(), dtype=np.uint8)


def _even(x: float) -> int:
    return 2 * math.ceil(x / 2)


class NaturalPicture:
    """Renders frame ``n`` of a natural-image title at ``width x height`` (both even)."""

    def __init__(self, width: int, height: int, *, fps: int = 24, seed: int = 7) -> None:
        if width % 2 or height % 2 or width < 32 or height < 32:
            raise ValueError(f"picture size {width}x{height} must be even and at least 32x32")
        self.width = width
        self.height = height
        self._photos = available_photos()
        self._scenes = scene_plan(fps, seed, len(self._photos))
        self._starts = [s.first_frame for s in self._scenes]
        self._cycle = self._scenes[-1].first_frame + self._scenes[-1].frames
        rng = np.random.default_rng(seed + 1)
        self._grain = rng.normal(0.0, GRAIN_SIGMA, size=(GRAIN_FIELDS, height, width))
        self._grain = self._grain.astype(np.int16)
        self._work = np.empty((height, width), dtype=np.int16)
        self._shake = np.random.default_rng(seed + 2).normal(0.0, 1.0, size=(self._cycle, 2))

    def scene_at(self, n: int) -> Scene:
        """The shot frame ``n`` belongs to."""
        return self._scenes[bisect_right(self._starts, n % self._cycle) - 1]

    def render(self, n: int) -> YuvFrame:
        w, h = self.width, self.height
        frame = YuvFrame.allocate(w, h)
        y, u, v = frame.y, frame.u, frame.v

        scene = self.scene_at(n)
        plate = _plate(self._photos[scene.photo], w, h)
        rows, cols = self._window(scene, n, plate.shape[1], plate.shape[2])
        np.take(np.take(plate[0], rows, axis=0), cols, axis=1, out=y)
        rows2, cols2 = rows[::2], cols[::2]
        np.take(np.take(plate[1], rows2, axis=0), cols2, axis=1, out=u)
        np.take(np.take(plate[2], rows2, axis=0), cols2, axis=1, out=v)
        if scene.grain:
            self._add_grain(y, n, scene.grain)
        stamp(y, n, chroma=(u, v))
        return frame

    def _window(
        self, scene: Scene, n: int, plate_h: int, plate_w: int
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Plate row and column of every output pixel: the camera's window at frame ``n``."""
        t = ((n % self._cycle) - scene.first_frame) / max(1, scene.frames - 1)
        zoom = scene.zoom[0] + (scene.zoom[1] - scene.zoom[0]) * t
        win_w, win_h = plate_w / zoom, plate_h / zoom
        cx = scene.centre_start[0] + (scene.centre_end[0] - scene.centre_start[0]) * t
        cy = scene.centre_start[1] + (scene.centre_end[1] - scene.centre_start[1]) * t
        jx, jy = self._shake[n % self._cycle] * scene.shake
        x0 = min(max(cx * plate_w - win_w / 2 + jx, 0.0), plate_w - win_w)
        y0 = min(max(cy * plate_h - win_h / 2 + jy, 0.0), plate_h - win_h)
        cols = (x0 + (np.arange(self.width) + 0.5) * (win_w / self.width)).astype(np.intp)
        rows = (y0 + (np.arange(self.height) + 0.5) * (win_h / self.height)).astype(np.intp)
        np.clip(cols, 0, plate_w - 1, out=cols)
        np.clip(rows, 0, plate_h - 1, out=rows)
        return rows, cols

    def _add_grain(self, y: NDArray[np.uint8], n: int, level: int) -> None:
        """Film grain: one of the precomputed fields, scaled by the scene's level."""
        work = self._work
        field = self._grain[zlib.crc32(n.to_bytes(4, "big")) % GRAIN_FIELDS]
        np.multiply(field, level, out=work)
        np.add(work, y, out=work)
        np.clip(work, 16, 235, out=work)
        y[:] = work


def title_picture(
    spec: TitleSpec, width: int | None = None, height: int | None = None
) -> NaturalPicture | SyntheticPicture:
    """The picture ``spec`` asks for, at the source size unless told; the scene plan is
    seeded by the title id, so each title has its own cut of the photos."""
    if width is None or height is None:
        width, height = spec.source_size
    if spec.picture == "gradient":
        return SyntheticPicture(width, height)
    return NaturalPicture(width, height, fps=spec.fps, seed=zlib.crc32(spec.title_id.encode()))
