"""The seam to the media factory: a :class:`~fake_backend.content.Materializer` that encodes.

``PackagerMaterializer`` turns a catalog title into a packager ``TitleSpec`` (same rung ids,
sizes and bitrates, same segment grid), encodes it with PyAV and writes the clear fMP4 tree
(``<rung>/init.mp4``, ``<rung>/seg-<n>.m4s``, ``title.json``), then runs two replaceable
post-steps: :func:`encrypt_tree` (``drm.encrypt``, CENC with the title's KIDs and keys, in
place) and :func:`write_mpd_tree` (``manifest.build`` + ``write_mpd`` to ``manifest.mpd``).
The packager (and PyAV) is imported on first use only, so a backend on synthetic content
starts without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from fake_backend.catalog import CatalogTitle

if TYPE_CHECKING:
    from fake_backend.packager import TitleSpec

__all__ = ["PackagerMaterializer", "encrypt_tree", "title_spec", "write_mpd_tree"]

PostStep = Callable[[CatalogTitle, Mapping[bytes, bytes], Path], None]
MPD_NAME = "manifest.mpd"


def title_spec(title: CatalogTitle, *, fps: int = 30) -> TitleSpec:
    """The packager spec for a catalog title: the very ladder the titles table advertises."""
    from fake_backend.packager import RungSpec, TitleSpec

    rungs = tuple(
        RungSpec(r.id, r.width, r.height, r.bitrate_kbps)
        for r in title.renditions
        if r.kind == "video"
    )
    audio = [r for r in title.renditions if r.kind == "audio"]
    return TitleSpec(
        title_id=title.id,
        duration_s=title.duration_s,
        rungs=rungs,
        fps=fps,
        segment_duration_s=title.segment_duration_s,
        audio=bool(audio),
        audio_bitrate_kbps=audio[0].bitrate_kbps if audio else 128,
        audio_id=audio[0].id if audio else "audio",
    )


def _rendition_dirs(title: CatalogTitle, dest: Path) -> list[tuple[str, Path]]:
    return [(r.kind, dest / r.id) for r in title.renditions if (dest / r.id / "init.mp4").exists()]


def encrypt_tree(
    title: CatalogTitle, keys: Mapping[bytes, bytes], dest: Path, *, scheme: str = "cenc"
) -> None:
    """CENC-protect a written title in place: video under the title's first KID, audio under
    its second (``CatalogTitle.kid_for``), with a ClearKey pssh in every init."""
    from drm.encrypt import encrypt_init, encrypt_segment

    for kind, rdir in _rendition_dirs(title, dest):
        kid = title.kid_for(kind)
        init_path = rdir / "init.mp4"
        enc_init = encrypt_init(init_path.read_bytes(), scheme, kid)
        init_path.write_bytes(enc_init)
        for seg in sorted(rdir.glob("seg-*.m4s")):
            seg.write_bytes(encrypt_segment(seg.read_bytes(), enc_init, keys[kid]))


def write_mpd_tree(
    title: CatalogTitle,
    keys: Mapping[bytes, bytes],
    dest: Path,
    *,
    scheme: str = "cenc",
    encrypted: bool = True,
) -> None:
    """Write ``manifest.mpd`` (static, SegmentTimeline, one AdaptationSet per kind) from the
    packager's ``title.json``. With ``encrypted``, each AdaptationSet carries the
    mp4protection entry (scheme + default KID) and a ClearKey entry; the license URL is left
    out on purpose: it is per deployment and comes from the Play API's playback manifest."""
    import json

    from manifest.build import (
        adaptation_set,
        audio_representation,
        mp4_protection,
        static_manifest,
        timeline_template,
        video_representation,
    )
    from manifest.model import ContentProtection
    from manifest.protection import CLEARKEY_SYSTEM_ID
    from manifest.writer import write_mpd

    info = json.loads((dest / "title.json").read_text())
    sets = []
    for kind in ("video", "audio"):
        reps = []
        for r in (r for r in info["renditions"] if r["kind"] == kind):
            seg = timeline_template(
                f"{r['id']}/seg-$Number$.m4s",
                f"{r['id']}/init.mp4",
                timescale=r["timescale"],
                durations=[s["duration"] for s in r["segments"]],
                start_number=r["segments"][0]["number"] if r["segments"] else 1,
            )
            if kind == "video":
                reps.append(
                    video_representation(
                        r["id"],
                        bandwidth=r["bandwidth"],
                        codecs=r["codecs"],
                        width=r["width"],
                        height=r["height"],
                        frame_rate=str(r.get("frame_rate") or info["fps"]),
                        segment=seg,
                    )
                )
            else:
                reps.append(
                    audio_representation(
                        r["id"],
                        bandwidth=r["bandwidth"],
                        codecs=r["codecs"],
                        sampling_rate=r.get("sample_rate", 48_000),
                        channels=r.get("channels", 2),
                        segment=seg,
                    )
                )
        if not reps:
            continue
        protection: tuple[ContentProtection, ...] = ()
        if encrypted:
            kid = title.kid_for(kind)
            protection = (
                mp4_protection(scheme, kid),
                ContentProtection(
                    scheme_id_uri=f"urn:uuid:{CLEARKEY_SYSTEM_ID}", value="ClearKey1.0"
                ),
            )
        sets.append(adaptation_set(kind, reps, id=kind, protection=protection))
    mpd = static_manifest(sets, duration=float(info["duration_s"]))
    (dest / MPD_NAME).write_bytes(write_mpd(mpd))


class PackagerMaterializer:
    """Encodes real media for a title, then (by default) CENC-encrypts it and writes the MPD.

    Pass ``encrypt=None`` for clear media; pass ``write_mpd=None`` to skip the MPD (or a
    function with the same signature to replace either step)."""

    def __init__(
        self,
        *,
        fps: int = 30,
        encrypt: PostStep | None = encrypt_tree,
        write_mpd: PostStep | None = write_mpd_tree,
    ) -> None:
        self.fps = fps
        self.encrypt = encrypt
        self.write_mpd = write_mpd

    def materialize(self, title: CatalogTitle, keys: Mapping[bytes, bytes], dest: Path) -> None:
        from fake_backend.packager import encode_title

        encoded = encode_title(title_spec(title, fps=self.fps))
        encoded.write(dest)
        if self.encrypt is not None:
            self.encrypt(title, keys, dest)
        if self.write_mpd is not None:
            self.write_mpd(title, keys, dest)
