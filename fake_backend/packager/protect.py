"""CENC protection of one rendition with ``drm``: one key, or a rotation of keys (``seig``)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

from drm.clearkey import CLEARKEY_SYSTEM_ID_BYTES
from drm.encrypt import encrypt_init, encrypt_segment, plan_from_init
from drm.pssh import build_pssh
from fake_backend.packager.catalog_specs import PackageSpec
from fake_backend.packager.rendition import Rendition
from fake_backend.packager.rotation import seig_entry, with_seig_group

__all__ = ["protect_rendition", "protect_rotating"]


def _derive(key: bytes, label: str, size: int) -> bytes:
    return hmac.new(key, b"nrdp-iv:" + label.encode(), hashlib.sha256).digest()[:size]


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
