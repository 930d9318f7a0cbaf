"""Package a title: encode (media factory), encrypt (``drm``), write the MPD (``manifest``).

Output tree (every path relative, so the directory can be served from any OCA)::

    <dest>/manifest.mpd
    <dest>/<rendition id>/init.mp4          protected init (encv/enca + sinf/tenc + pssh)
    <dest>/<rendition id>/seg-<n>.m4s       n = 1, 2, ... (senc/saiz/saio per fragment)
    <dest>/<subtitle id>/subtitles.vtt      WebVTT sidecars
    <dest>/poster.png
    <dest>/title.json                       what was written (never keys)

Keys: one KID for every video rung and one for every audio track (``kids["video"]``,
``kids["audio"]``). IVs are derived from the content key and the segment's position, so
the same spec and keys give byte-identical output (stable ETags, cacheable).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from drm.clearkey import CLEARKEY_SYSTEM_ID_BYTES
from drm.encrypt import encrypt_init, encrypt_segment, plan_from_init
from drm.pssh import build_pssh
from fake_backend.packager.catalog_specs import PackageSpec, SubtitleSpec
from fake_backend.packager.media_factory import encode_audio, encode_title
from fake_backend.packager.on_demand import ON_DEMAND_PROFILE, single_file
from fake_backend.packager.options import PackageOptions
from fake_backend.packager.package_errors import MissingContentKey
from fake_backend.packager.poster import render_poster
from fake_backend.packager.rendition import EncodedTitle, Rendition, SegmentInfo
from fake_backend.packager.retime import shifted_rendition, shifted_title
from fake_backend.packager.rotation import seig_entry, with_seig_group
from fake_backend.packager.subtitles import webvtt
from fake_backend.packager.thumbnails import THUMBNAIL_TILE_SCHEME, ThumbnailSpec, render_tiles
from manifest.build import (
    adaptation_set,
    audio_representation,
    mp4_protection,
    number_template,
    static_manifest,
    timeline_template,
    video_representation,
)
from manifest.model import (
    AdaptationSet,
    BaseUrl,
    ByteRange,
    ContentProtection,
    Descriptor,
    Label,
    Manifest,
    Representation,
    SegmentBase,
    SegmentTemplate,
    UrlRange,
)
from manifest.protection import CLEARKEY_SYSTEM_ID as DASHIF_CLEARKEY_SYSTEM_ID
from manifest.writer import write_mpd

__all__ = [
    "INIT_TEMPLATE",
    "MEDIA_TEMPLATE",
    "MPD_NAME",
    "PackagedTitle",
    "PackagedTrack",
    "build_manifest",
    "package_title",
    "protect_rendition",
]

MPD_NAME = "manifest.mpd"
POSTER_NAME = "poster.png"
INIT_TEMPLATE = "$RepresentationID$/init.mp4"
MEDIA_TEMPLATE = "$RepresentationID$/seg-$Number$.m4s"
TILE_TEMPLATE = "$RepresentationID$/tile-$Number$.jpg"
DEFAULT_OPTIONS = PackageOptions()


@dataclass(frozen=True)
class PackagedTrack:
    """One written track: a video rung, an audio track or a subtitle sidecar."""

    id: str
    kind: str  # "video" | "audio" | "text"
    codecs: str | None
    bandwidth: int
    """Peak bits/s over the written (encrypted) segments."""
    timescale: int = 1
    init: str | None = None
    segments: tuple[str, ...] = ()
    segment_info: tuple[SegmentInfo, ...] = ()
    kid: bytes | None = None
    language: str | None = None
    media_file: str | None = None
    """On-demand profile: the one file (init + sidx + fragments); ``segments`` is empty."""
    init_range: tuple[int, int] | None = None
    index_range: tuple[int, int] | None = None
    rotation_kids: tuple[bytes, ...] = ()
    """Key rotation: every KID the fragments use, in order (``kid`` is the first)."""
    tile_grid: str | None = None
    """Thumbnail tiles (kind ``image``): ``"<columns>x<rows>"``; ``segments`` are the JPEGs."""
    tile_duration_s: float | None = None
    label: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: int | None = None
    sample_rate: int | None = None
    channels: int | None = None

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "codecs": self.codecs,
            "bandwidth": self.bandwidth,
            "timescale": self.timescale,
            "init": self.init,
            "kid": self.kid.hex() if self.kid else None,
            "language": self.language,
            "label": self.label,
            "width": self.width,
            "height": self.height,
            "frame_rate": self.frame_rate,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "segments": [
                {"number": i.number, "path": p, "start": i.start, "duration": i.duration}
                for i, p in zip(self.segment_info, self.segments, strict=True)
            ]
            if self.segment_info and self.segments
            else [{"path": p} for p in self.segments],
            "media_file": self.media_file,
            "init_range": list(self.init_range) if self.init_range else None,
            "index_range": list(self.index_range) if self.index_range else None,
            "rotation_kids": [k.hex() for k in self.rotation_kids] or None,
            "tile_grid": self.tile_grid,
            "tile_duration_s": self.tile_duration_s,
        }
        return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True)
class PackagedTitle:
    """What :func:`package_title` wrote under ``root``."""

    spec: PackageSpec
    root: Path
    tracks: tuple[PackagedTrack, ...]
    kids: Mapping[str, bytes] = field(default_factory=dict)
    mpd: str = MPD_NAME
    poster: str | None = POSTER_NAME
    files: tuple[str, ...] = ()

    @property
    def scheme(self) -> str:
        return self.spec.scheme

    @property
    def mpd_path(self) -> Path:
        return self.root / self.mpd

    def track(self, track_id: str) -> PackagedTrack:
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise KeyError(track_id)

    def describe(self) -> dict[str, Any]:
        s = self.spec
        return {
            "title_id": s.title_id,
            "name": s.name,
            "duration_s": s.duration_s,
            "fps": s.fps,
            "segment_duration_s": s.segment_duration_s,
            "scheme": s.scheme,
            "kids": {k: v.hex() for k, v in self.kids.items()} if s.encrypted else {},
            "mpd": self.mpd,
            "poster": self.poster,
            "tracks": [t.describe() for t in self.tracks],
        }


def _derive(key: bytes, label: str, size: int) -> bytes:
    return hmac.new(key, b"nrdp-iv:" + label.encode(), hashlib.sha256).digest()[:size]


def _peak_bandwidth(sizes: Sequence[int], infos: Sequence[SegmentInfo]) -> int:
    return max(math.ceil(n * 8 / i.duration_s) for n, i in zip(sizes, infos, strict=True))


def protect_rendition(
    spec: PackageSpec, r: Rendition, kid: bytes, key: bytes
) -> tuple[bytes, list[bytes]]:
    """The encrypted init and segments of one rendition, in ``spec.scheme``.

    IVs are derived from the key, title, rendition and segment number (cenc: 8-byte
    per-sample IVs counting up from the segment's IV; cbcs: one 16-byte constant IV per
    rendition), so the same clear input always gives the same protected bytes.
    """
    label = f"{spec.title_id}/{r.id}"
    constant_iv = _derive(key, label + "/constant", 16) if spec.scheme == "cbcs" else None
    init = encrypt_init(r.init, spec.scheme, kid, constant_iv=constant_iv)
    plan = plan_from_init(init)
    iv_size = 0 if constant_iv is not None else 8
    segments = [
        encrypt_segment(
            seg, plan, key, iv=_derive(key, f"{label}/{i.number}", iv_size) if iv_size else None
        )
        for i, seg in zip(r.segment_info, r.segments, strict=True)
    ]
    return init, segments


def protect_rotating(
    spec: PackageSpec,
    r: Rendition,
    kids: Sequence[bytes],
    keys: Mapping[bytes, bytes],
    period: int,
) -> tuple[bytes, list[bytes]]:
    """Like :func:`protect_rendition`, but segment *i* uses ``kids[i // period % len]``.

    The init's ``tenc`` names ``kids[0]`` and its ClearKey pssh lists every KID (so a
    player can ask for all keys ahead of need); every fragment carries a ``seig`` group
    with its own KID (the first period's too: one rule for every fragment).
    """
    label = f"{spec.title_id}/{r.id}"
    first = kids[0]
    constant_iv = _derive(keys[first], label + "/constant", 16) if spec.scheme == "cbcs" else None
    pssh = build_pssh(CLEARKEY_SYSTEM_ID_BYTES, list(dict.fromkeys(kids)), b"", 1)
    init = encrypt_init(
        r.init, spec.scheme, first, constant_iv=constant_iv, clearkey=False, pssh=[pssh]
    )
    plan = plan_from_init(init)
    params = plan.tracks[0].params
    iv_size = params.per_sample_iv_size
    segments = []
    for n, (info, seg) in enumerate(zip(r.segment_info, r.segments, strict=True)):
        kid = kids[n // period % len(kids)]
        key = keys[kid]
        iv = _derive(key, f"{label}/{info.number}", iv_size) if iv_size else None
        entry = seig_entry(
            kid,
            iv_size=iv_size,
            crypt_byte_block=params.crypt_byte_block,
            skip_byte_block=params.skip_byte_block,
            constant_iv=params.constant_iv,
        )
        segments.append(with_seig_group(encrypt_segment(seg, plan, key, iv=iv), entry))
    return init, segments


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
) -> PackagedTitle:
    """Encode, protect and describe ``spec`` into ``dest`` (created if missing).

    ``kids`` maps ``"video"``/``"audio"`` to a 16-byte KID, ``keys`` KID -> content key;
    both are ignored for a ``clear`` spec. ``license_url`` becomes the ClearKey entry's
    ``dashif:Laurl`` (left out when None: the Play API's playback manifest carries it).
    Raises :class:`MissingContentKey` before encoding when a KID or key is missing.
    ``encoded`` reuses an earlier ``encode_title(spec.title_spec())`` (encoding is the slow
    part; tests encode once and package with several key sets). ``options`` picks the
    layout (on-demand profile), a media time offset and key rotation.
    """
    root = Path(dest)
    kids = dict(kids or {})
    if options.rotation:  # the first KID of a rotation is the track's default KID
        kids.update({kind: seq[0] for kind, seq in options.rotation.items()})
    keys = dict(keys or {})
    if spec.encrypted:
        _check_keys(spec, kids, keys, options)
    renditions = _renditions(spec, encoded, options.media_time_offset_s)
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
        tracks.append(_write_thumbnails(spec, thumbnails, root, files))
    poster_rel = None
    if poster:
        poster_rel = POSTER_NAME
        _write(root, poster_rel, render_poster(spec.title_id, spec.name), files)
    packaged = PackagedTitle(
        spec=spec,
        root=root,
        tracks=tuple(tracks),
        kids={k: v for k, v in kids.items() if k in ("video", "audio")} if spec.encrypted else {},
        poster=poster_rel,
    )
    _write(root, MPD_NAME, write_mpd(build_manifest(packaged, license_url=license_url)), files)
    files.append("title.json")
    result = replace(packaged, files=tuple(sorted(files)))
    (root / "title.json").write_text(json.dumps(result.describe(), indent=2) + "\n")
    return result


def _renditions(
    spec: PackageSpec, encoded: EncodedTitle | None, offset_s: float
) -> list[tuple[Rendition, str | None, str | None]]:
    """(rendition, language, label) of every video rung and audio track, ``offset_s`` later
    on the media timeline; encodes what ``encoded`` does not hold (the extra languages)."""
    if encoded is None:
        encoded = encode_title(spec.title_spec())
    elif encoded.spec != spec.title_spec():
        raise ValueError(f"{spec.title_id}: the encoded title was made from another spec")
    if offset_s:
        encoded = shifted_title(encoded, offset_s)
    out: list[tuple[Rendition, str | None, str | None]] = [(v, None, None) for v in encoded.video]
    if encoded.audio is not None:
        first = spec.audio[0]
        out.append((encoded.audio, first.language, first.label))
        for track in spec.audio[1:]:
            extra = encode_audio(spec.audio_title_spec(track))
            if offset_s:
                extra = shifted_rendition(extra, offset_s)
            out.append((extra, track.language, track.label))
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
    track = PackagedTrack(
        id=r.id,
        kind=r.kind,
        codecs=r.codecs,
        bandwidth=_peak_bandwidth([len(s) for s in segments], r.segment_info),
        timescale=r.timescale,
        segment_info=r.segment_info,
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
    for info, data in zip(r.segment_info, segments, strict=True):
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
    spec: PackageSpec, thumbs: ThumbnailSpec, root: Path, files: list[str]
) -> PackagedTrack:
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


# ------------------------------------------------------------------------------ MPD


def _video_set(
    video: list[PackagedTrack], fps: int, protection: tuple[ContentProtection, ...]
) -> AdaptationSet:
    """Every rung in one AdaptationSet (id 1), sharing the first rung's addressing."""
    reps = [
        _addressed(
            video_representation(
                t.id,
                bandwidth=t.bandwidth,
                codecs=t.codecs or "",
                width=t.width or 0,
                height=t.height or 0,
                frame_rate=str(t.frame_rate or fps),
            ),
            t,
        )
        for t in video
    ]
    return adaptation_set("video", reps, id="1", segment=_template(video[0]), protection=protection)


def _image_set(t: PackagedTrack, set_id: str) -> AdaptationSet:
    """A DASH-IF thumbnail tile set: one JPEG per tile, ``$Number$`` from 1."""
    rep = Representation(
        id=t.id,
        bandwidth=t.bandwidth,
        mime_type="image/jpeg",
        width=t.width,
        height=t.height,
        essential_properties=(Descriptor(THUMBNAIL_TILE_SCHEME, t.tile_grid),),
    )
    template = SegmentTemplate(
        media=TILE_TEMPLATE,
        timescale=1000,
        duration=round((t.tile_duration_s or 0) * 1000),
        start_number=1,
    )
    return adaptation_set("image", [rep], id=set_id, segment=template)


def _template(track: PackagedTrack) -> SegmentTemplate | None:
    """``$Number$`` with @duration when every segment has the same length, else a timeline;
    None for an on-demand track (its addressing is a SegmentBase on the Representation).

    A media time offset (the first segment's ``tfdt``) becomes ``presentationTimeOffset``.
    """
    if track.media_file is not None:
        return None
    durations = [i.duration for i in track.segment_info]
    first = track.segment_info[0].start
    if len(set(durations)) == 1:
        template = number_template(
            MEDIA_TEMPLATE, INIT_TEMPLATE, timescale=track.timescale, duration=durations[0]
        )
    else:
        template = timeline_template(
            MEDIA_TEMPLATE,
            INIT_TEMPLATE,
            timescale=track.timescale,
            durations=durations,
            start_time=first,
        )
    return replace(template, presentation_time_offset=first or None)


def _addressed(rep: Representation, track: PackagedTrack) -> Representation:
    """On-demand: the Representation's one file (BaseURL) and its SegmentBase ranges."""
    if track.media_file is None or track.init_range is None or track.index_range is None:
        return rep
    first = track.segment_info[0].start
    base = SegmentBase(
        timescale=track.timescale,
        presentation_time_offset=first or None,
        index_range=ByteRange(*track.index_range),
        initialization=UrlRange(range=ByteRange(*track.init_range)),
    )
    return replace(rep, base_urls=(BaseUrl(track.media_file),), segment_info=base)


def _protection(
    scheme: str, kid: bytes | None, license_url: str | None
) -> tuple[ContentProtection, ...]:
    if kid is None:
        return ()
    return (mp4_protection(scheme, kid), dashif_clearkey(license_url))


def dashif_clearkey(license_url: str | None) -> ContentProtection:
    """The ClearKey entry as DASH-IF IOP recommends: system ``e2719d58-...``, ``dashif:Laurl``.

    No ``cenc:pssh``: dash.js builds the key request from ``cenc:default_KID`` for this
    system id, and fails ("Error generating key request") when the entry names the W3C
    common system id with a pssh. The init segments keep their W3C common pssh box.
    """
    return ContentProtection(
        scheme_id_uri=f"urn:uuid:{DASHIF_CLEARKEY_SYSTEM_ID}",
        value="ClearKey1.0",
        license_urls=(license_url,) if license_url is not None else (),
    )


def _labelled(aset: AdaptationSet, label: str | None) -> AdaptationSet:
    return replace(aset, labels=(Label(label),)) if label else aset


def build_manifest(packaged: PackagedTitle, *, license_url: str | None = None) -> Manifest:
    """The static MPD model of a packaged title (one Period; numeric AdaptationSet ids).

    Video: one AdaptationSet with every rung. Audio: one AdaptationSet per track (``lang``,
    Role ``main`` for the first, ``dub`` for the others). Text: one per WebVTT sidecar
    (``text/vtt``, Role ``subtitle``, the file as the Representation's BaseURL).
    Every encrypted AdaptationSet carries the mp4protection entry (scheme +
    ``cenc:default_KID``) and the DASH-IF ClearKey entry (:func:`dashif_clearkey`).
    """
    spec = packaged.spec
    scheme = spec.scheme
    sets: list[AdaptationSet] = []
    video = [t for t in packaged.tracks if t.kind == "video"]
    if video:
        sets.append(_video_set(video, spec.fps, _protection(scheme, video[0].kid, license_url)))
    for n, t in enumerate(t for t in packaged.tracks if t.kind == "audio"):
        rep = _addressed(
            audio_representation(
                t.id,
                bandwidth=t.bandwidth,
                codecs=t.codecs or "",
                sampling_rate=t.sample_rate or 48_000,
                channels=t.channels or 2,
            ),
            t,
        )
        aset = adaptation_set(
            "audio",
            [rep],
            id=str(len(sets) + 1),
            lang=t.language,
            segment=_template(t),
            protection=_protection(scheme, t.kid, license_url),
            roles=("main" if n == 0 else "dub",),
        )
        sets.append(_labelled(aset, t.label))
    for t in (t for t in packaged.tracks if t.kind == "text"):
        rep = Representation(
            id=t.id,
            bandwidth=t.bandwidth,
            mime_type="text/vtt",
            base_urls=(BaseUrl(t.segments[0]),),
        )
        aset = adaptation_set(
            "text", [rep], id=str(len(sets) + 1), lang=t.language, roles=("subtitle",)
        )
        sets.append(_labelled(aset, t.label))
    for t in (t for t in packaged.tracks if t.kind == "image"):
        sets.append(_image_set(t, str(len(sets) + 1)))
    if any(t.media_file for t in packaged.tracks):
        return static_manifest(
            sets, duration=spec.duration_s, base_url="./", profiles=ON_DEMAND_PROFILE
        )
    return static_manifest(sets, duration=spec.duration_s, base_url="./")
