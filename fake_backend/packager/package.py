"""Package a title: encode (media factory), encrypt (``drm``), write the MPD (``manifest``).

Output tree (every path relative, so the directory can be served from any OCA)::

    <dest>/manifest.mpd
    <dest>/<rendition id>/init.mp4          protected init (encv/enca + sinf/tenc + pssh)
    <dest>/<rendition id>/seg-<n>.m4s       n = 1, 2, ... (senc/saiz/saio per fragment)
    <dest>/<subtitle id>/subtitles.vtt      WebVTT sidecars
    <dest>/poster.png
    <dest>/video.json                       the video rungs' segment sizes for ``abr.sim``
    <dest>/title.json                       what was written (never keys)

Keys: one KID for every video rung and one for every audio track (``kids["video"]``,
``kids["audio"]``). IVs are derived from the content key and the segment's position, so
the same spec and keys give byte-identical output (stable ETags, cacheable).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from fake_backend.packager.abr_video import VIDEO_JSON_NAME, video_json
from fake_backend.packager.catalog_specs import PackageSpec, SubtitleSpec
from fake_backend.packager.media_factory import encode_audio, encode_title
from fake_backend.packager.on_demand import single_file
from fake_backend.packager.options import PackageOptions
from fake_backend.packager.package_errors import MissingContentKey
from fake_backend.packager.package_mpd import (
    INIT_TEMPLATE,
    MEDIA_TEMPLATE,
    TILE_TEMPLATE,
    build_manifest,
    dashif_clearkey,
)
from fake_backend.packager.packaged import MPD_NAME, POSTER_NAME, PackagedTitle, PackagedTrack
from fake_backend.packager.poster import render_poster
from fake_backend.packager.protect import protect_rendition, protect_rotating
from fake_backend.packager.rendition import EncodedTitle, PreparedTitle, Rendition, SegmentInfo
from fake_backend.packager.retime import shifted_rendition, shifted_title
from fake_backend.packager.subtitles import webvtt
from fake_backend.packager.thumbnails import ThumbnailSpec, render_tiles
from manifest.writer import write_mpd

__all__ = [
    "DEFAULT_OPTIONS",
    "INIT_TEMPLATE",
    "MEDIA_TEMPLATE",
    "MPD_NAME",
    "POSTER_NAME",
    "TILE_TEMPLATE",
    "PackagedTitle",
    "PackagedTrack",
    "build_manifest",
    "dashif_clearkey",
    "package_title",
    "protect_rendition",
    "protect_rotating",
]

DEFAULT_OPTIONS = PackageOptions()


def _peak_bandwidth(sizes: Sequence[int], infos: Sequence[SegmentInfo]) -> int:
    return max(math.ceil(n * 8 / i.duration_s) for n, i in zip(sizes, infos, strict=True))


def _write(root: Path, rel: str, data: bytes, files: list[str]) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    files.append(rel)


def package_title(
    spec: PackageSpec,
    dest: Path | str,
    *,
    keys: Mapping[bytes, bytes] | None = None,
    kids: Mapping[str, bytes] | None = None,
    license_url: str | None = None,
    poster: bool = True,
    encoded: EncodedTitle | None = None,
    options: PackageOptions = DEFAULT_OPTIONS,
    prepared: PreparedTitle | None = None,
) -> PackagedTitle:
    """Encode, protect and describe ``spec`` into ``dest`` (created if missing).

    ``kids`` maps ``"video"``/``"audio"`` to a 16-byte KID, ``keys`` KID -> content key;
    both are ignored for a ``clear`` spec. ``license_url`` becomes the ClearKey entry's
    ``dashif:Laurl`` (left out when None: the Play API's playback manifest carries it).
    Raises :class:`MissingContentKey` before encoding when a KID or key is missing.
    ``encoded`` reuses an earlier ``encode_title(spec.title_spec())`` (encoding is the slow
    part; tests encode once and package with several key sets). ``options`` picks the
    layout (on-demand profile), a media time offset and key rotation. ``prepared`` goes
    further than ``encoded``: the extra audio tracks, tiles and poster made ahead too.
    """
    if prepared is not None:
        encoded = prepared.encoded
    else:
        prepared = PreparedTitle(encoded) if encoded is not None else None
    root = Path(dest)
    kids = dict(kids or {})
    if options.rotation:  # the first KID of a rotation is the track's default KID
        kids.update({kind: seq[0] for kind, seq in options.rotation.items()})
    keys = dict(keys or {})
    if spec.encrypted:
        _check_keys(spec, kids, keys, options)
    renditions = _renditions(spec, prepared, options.media_time_offset_s)
    root.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    tracks = [
        _write_rendition(spec, r, root, files, kids, keys, options, language, label)
        for r, language, label in renditions
    ]
    for sub in spec.subtitles:
        tracks.append(_write_subtitles(spec, sub, root, files))
    thumbnails = options.thumbnails or spec.thumbnails
    if thumbnails is not None:
        tiles = prepared.tiles if prepared is not None and thumbnails == spec.thumbnails else None
        tracks.append(_write_thumbnails(spec, thumbnails, root, files, tiles))
    poster_rel = None
    if poster:
        poster_rel = POSTER_NAME
        png = prepared.poster if prepared is not None else None
        _write(root, poster_rel, png or render_poster(spec.title_id, spec.name), files)
    packaged = PackagedTitle(
        spec=spec,
        root=root,
        tracks=tuple(tracks),
        kids={k: v for k, v in kids.items() if k in ("video", "audio")} if spec.encrypted else {},
        poster=poster_rel,
    )
    _write(root, MPD_NAME, write_mpd(build_manifest(packaged, license_url=license_url)), files)
    if any(t.kind == "video" for t in packaged.tracks):
        _write(root, VIDEO_JSON_NAME, video_json(packaged).encode(), files)
    files.append("title.json")
    result = replace(packaged, files=tuple(sorted(files)))
    (root / "title.json").write_text(json.dumps(result.describe(), indent=2) + "\n")
    return result


def _renditions(
    spec: PackageSpec, prepared: PreparedTitle | None, offset_s: float
) -> list[tuple[Rendition, str | None, str | None]]:
    """(rendition, language, label) of every video rung and audio track, ``offset_s`` later
    on the media timeline; encodes what ``prepared`` does not hold."""
    encoded = prepared.encoded if prepared is not None else encode_title(spec.title_spec())
    extra = prepared.extra_audio if prepared is not None else None
    if extra is not None and len(extra) != len(spec.audio[1:]):
        raise ValueError(f"{spec.title_id}: the prepared title has other audio tracks")
    if encoded.spec != spec.title_spec():
        raise ValueError(f"{spec.title_id}: the encoded title was made from another spec")
    if offset_s:
        encoded = shifted_title(encoded, offset_s)
    out: list[tuple[Rendition, str | None, str | None]] = [(v, None, None) for v in encoded.video]
    if encoded.audio is not None:
        first = spec.audio[0]
        out.append((encoded.audio, first.language, first.label))
        for k, track in enumerate(spec.audio[1:]):
            r = extra[k] if extra is not None else encode_audio(spec.audio_title_spec(track))
            if offset_s:
                r = shifted_rendition(r, offset_s)
            out.append((r, track.language, track.label))
    return out


def _check_keys(
    spec: PackageSpec,
    kids: Mapping[str, bytes],
    keys: Mapping[bytes, bytes],
    options: PackageOptions,
) -> None:
    """Every KID the title will use is 16 bytes and has a key (:class:`MissingContentKey`)."""
    for kind in ["video"] + (["audio"] if spec.audio else []):
        kid = kids.get(kind)
        if kid is None or len(kid) != 16:
            raise MissingContentKey(
                f"{spec.title_id}: no 16-byte {kind} KID", title_id=spec.title_id, kind=kind
            )
        for k in options.rotation.get(kind, (kid,)):
            if k not in keys:
                raise MissingContentKey(
                    f"{spec.title_id}: no content key for the {kind} KID {k.hex()}",
                    title_id=spec.title_id,
                    kind=kind,
                    kid=k.hex(),
                )


def _write_rendition(
    spec: PackageSpec,
    r: Rendition,
    root: Path,
    files: list[str],
    kids: Mapping[str, bytes],
    keys: Mapping[bytes, bytes],
    options: PackageOptions,
    language: str | None,
    label: str | None,
) -> PackagedTrack:
    """Protect one rendition and write it as segment files or one on-demand file."""
    kid = kids[r.kind] if spec.encrypted else None
    rotation = tuple(options.rotation.get(r.kind, ())) if kid is not None else ()
    if rotation:
        init, segments = protect_rotating(spec, r, rotation, keys, options.crypto_period_segments)
    elif kid is not None:
        init, segments = protect_rendition(spec, r, kid, keys[kid])
    else:
        init, segments = r.init, list(r.segments)
    # Sizes of the bytes written (protection adds senc/saiz/saio): what a player downloads.
    written = tuple(replace(i, size=len(d)) for i, d in zip(r.segment_info, segments, strict=True))
    track = PackagedTrack(
        id=r.id,
        kind=r.kind,
        codecs=r.codecs,
        bandwidth=_peak_bandwidth([len(s) for s in segments], r.segment_info),
        timescale=r.timescale,
        segment_info=written,
        kid=kid,
        language=language,
        label=label,
        width=r.width,
        height=r.height,
        frame_rate=r.frame_rate,
        sample_rate=r.sample_rate,
        channels=r.channels,
        rotation_kids=rotation,
    )
    if options.on_demand:
        one = single_file(init, segments, r.segment_info)
        rel = f"{r.id}.mp4"
        _write(root, rel, one.data, files)
        return replace(
            track, media_file=rel, init_range=one.init_range, index_range=one.index_range
        )
    init_rel = f"{r.id}/init.mp4"
    _write(root, init_rel, init, files)
    seg_rels = []
    for info, data in zip(written, segments, strict=True):
        rel = f"{r.id}/seg-{info.number}.m4s"
        _write(root, rel, data, files)
        seg_rels.append(rel)
    return replace(track, init=init_rel, segments=tuple(seg_rels))


def _write_subtitles(
    spec: PackageSpec, sub: SubtitleSpec, root: Path, files: list[str]
) -> PackagedTrack:
    text = webvtt(spec.name, sub.language, spec.duration_s, spec.segment_duration_s).encode()
    _write(root, sub.path, text, files)
    return PackagedTrack(
        id=sub.id,
        kind="text",
        codecs=None,
        bandwidth=max(256, math.ceil(len(text) * 8 / spec.duration_s)),
        segments=(sub.path,),
        language=sub.language,
        label=sub.label,
    )


def _write_thumbnails(
    spec: PackageSpec,
    thumbs: ThumbnailSpec,
    root: Path,
    files: list[str],
    tiles: Sequence[bytes] | None = None,
) -> PackagedTrack:
    if tiles is None:
        tiles = render_tiles(spec.title_spec(), thumbs)
    rels = []
    for n, jpeg in enumerate(tiles, start=1):
        rel = f"{thumbs.id}/tile-{n}.jpg"
        _write(root, rel, jpeg, files)
        rels.append(rel)
    return PackagedTrack(
        id=thumbs.id,
        kind="image",
        codecs=None,
        bandwidth=max(math.ceil(len(t) * 8 / thumbs.tile_duration_s) for t in tiles),
        segments=tuple(rels),
        width=thumbs.width * thumbs.columns,
        height=thumbs.height * thumbs.rows,
        tile_grid=thumbs.grid,
        tile_duration_s=thumbs.tile_duration_s,
    )
