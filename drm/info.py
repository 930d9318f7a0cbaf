"""A JSON-ready description of a file's protection (what ``python -m drm info`` prints)."""

from __future__ import annotations

from typing import Any

from drm.protection import (
    InitProtection,
    TrackFragment,
    parse_init,
    parse_segment,
)
from drm.pssh import Pssh, find_pssh
from mediacore.boxes import iter_boxes

__all__ = ["describe"]


def _pssh(p: Pssh) -> dict[str, Any]:
    return {
        "system_id": p.system_uuid,
        "system": p.system_name,
        "version": p.version,
        "kids": [k.hex() for k in p.kids],
        "data_size": len(p.data),
    }


def describe(
    data: bytes | bytearray | memoryview, init: bytes | bytearray | memoryview | None = None
) -> dict[str, Any]:
    """Scheme, KIDs, IV size, pattern, constant IV, pssh systems and sample counts.

    ``data`` is a single file (moov + moofs), an init segment, or a media segment when
    ``init`` is given. Keys are never needed: nothing is decrypted.
    """
    has_moov = any(b.type == "moov" for b in iter_boxes(data))
    protection: InitProtection = parse_init(data if has_moov else init)  # type: ignore[arg-type]
    pssh = list(find_pssh(init)) if init is not None and not has_moov else []
    pssh.extend(find_pssh(data))
    frags: list[TrackFragment] = []
    layouts = parse_segment(data, protection)
    moofs = len(layouts)
    for layout in layouts:
        frags.extend(layout.trafs)
    tracks = []
    for t in protection.tracks:
        prot = t.protection
        mine = [f for f in frags if f.track_id == t.track_id]
        samples = sum(len(f.samples) for f in mine)
        enc = [s for f in mine for s in f.samples if s.params is not None]
        entry: dict[str, Any] = {
            "track_id": t.track_id,
            "handler": t.handler,
            "encrypted": prot is not None,
            "samples": samples,
            "encrypted_samples": len(enc),
            "subsamples": sum(len(s.subsamples) for s in enc),
            "aux_info": sorted({f.aux_source for f in mine}),
        }
        if prot is not None:
            p = prot.tenc
            entry.update(
                {
                    "scheme": prot.scheme,
                    "scheme_version": f"{prot.scheme_version >> 16}.{prot.scheme_version & 0xFFFF}",
                    "entry_type": prot.entry_type,
                    "original_format": prot.original_format,
                    "default_kid": p.kid.hex(),
                    "is_protected": p.is_protected,
                    "iv_size": p.per_sample_iv_size,
                    "constant_iv": p.constant_iv.hex() if p.constant_iv is not None else None,
                    "pattern": [p.crypt_byte_block, p.skip_byte_block],
                    "kids": sorted(
                        {s.params.kid.hex() for s in enc if s.params is not None} | {p.kid.hex()}
                    ),
                    "seig_groups": len(t.seig_groups),
                }
            )
        tracks.append(entry)
    return {
        "encrypted": protection.encrypted,
        "fragments": moofs,
        "tracks": tracks,
        "pssh": [_pssh(p) for p in pssh],
    }
