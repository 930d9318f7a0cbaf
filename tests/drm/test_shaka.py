"""Cross-checks with shaka-packager, a second independent CENC implementation (optional).

Enabled when the packager binary is found: ``$NRDP_SHAKA_PACKAGER`` or ``packager`` on PATH.
Install: ``npm install --prefix /tmp/shaka shaka-packager`` then
``export NRDP_SHAKA_PACKAGER=/tmp/shaka/node_modules/shaka-packager/bin/packager-linux-x64``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from drm.cenc import decrypt
from drm.clearkey import KeyStore
from drm.encrypt import encrypt_init, encrypt_segment, plan_from_init, video_subsamples
from drm.h264 import SliceHeaderParser
from drm.protection import parse_fragment, parse_init
from mediacore.boxes import iter_boxes

SCHEMES = ["cenc", "cens", "cbc1", "cbcs"]


@pytest.fixture(scope="module")
def packager() -> str:
    path = os.environ.get("NRDP_SHAKA_PACKAGER") or shutil.which("packager")
    if not path or not Path(path).is_file():
        pytest.skip(
            "shaka-packager not installed (npm install --prefix /tmp/shaka shaka-packager; "
            "export NRDP_SHAKA_PACKAGER=/tmp/shaka/node_modules/shaka-packager/bin/"
            "packager-linux-x64)"
        )
    return path


def _run(packager: str, args: list[str], cwd: Path) -> None:
    res = subprocess.run(
        [packager, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )
    assert res.returncode == 0, res.stderr[-2000:]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_drm_decrypts_what_shaka_packager_encrypted(
    packager: str, clip: bytes, media: SimpleNamespace, tmp_path: Path, scheme: str
) -> None:
    (tmp_path / "clip.mp4").write_bytes(clip)
    keys = f"label=:key_id={media.KID.hex()}:key={media.KEY.hex()}"
    _run(
        packager,
        [
            "in=clip.mp4,stream=video,output=v.mp4",
            "in=clip.mp4,stream=audio,output=a.mp4",
            "--enable_raw_key_encryption",
            "--keys",
            keys,
            "--protection_scheme",
            scheme,
            "--clear_lead",
            "0",
        ],
        tmp_path,
    )
    store = KeyStore({media.KID: media.KEY})
    for name, kind in (("v.mp4", "video"), ("a.mp4", "audio")):
        enc = (tmp_path / name).read_bytes()
        (track,) = parse_init(enc).tracks
        assert track.protection is not None and track.protection.scheme == scheme
        out = decrypt(enc, store)
        hashes, errors = media.decode_hashes(out)
        want, _ = media.decode_hashes(clip, kind=kind)
        assert errors == 0
        assert hashes == want, f"{scheme} {kind}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", ["video", "audio"])
def test_shaka_packager_decrypts_what_drm_encrypted(
    packager: str, clip: bytes, media: SimpleNamespace, tmp_path: Path, scheme: str, kind: str
) -> None:
    """One track per file, as DASH representations are. (shaka-packager applies the first
    track's crypt:skip pattern to every track of a multi-track input, so a muxed cbcs/cens
    file would fail there for audio, whose pattern is 0:0.)"""
    single = media.remux(clip, {}, kind=kind)
    init, segments = media.split_fmp4(single)
    enc_init = encrypt_init(init, scheme, media.KID)
    plan = plan_from_init(enc_init)
    enc = enc_init + b"".join(encrypt_segment(s, plan, media.KEY) for s in segments)
    (tmp_path / "enc.mp4").write_bytes(enc)
    keys = f"label=:key_id={media.KID.hex()}:key={media.KEY.hex()}"
    _run(
        packager,
        [f"in=enc.mp4,stream={kind},output=out.mp4", "--enable_raw_key_decryption", "--keys", keys],
        tmp_path,
    )
    out = (tmp_path / "out.mp4").read_bytes()
    assert not parse_init(out).encrypted
    hashes, errors = media.decode_hashes(out)
    assert errors == 0
    assert hashes == media.decode_hashes(single)[0], f"{scheme} {kind}"


X264_VARIANTS = {
    "baseline-cavlc": {"profile": "baseline"},
    "high-3b-weighted": {"bf": "3", "b-pyramid": "normal", "weightb": "1", "weightp": "2"},
    "four-slices": {"slices": "4"},
    "main-cavlc": {"coder": "0"},
    "interlaced": {"flags": "+ildct+ilme", "x264-params": "interlaced=1"},
}


@pytest.mark.parametrize("variant", sorted(X264_VARIANTS))
def test_cbcs_subsamples_match_shaka_packager(
    packager: str, media: SimpleNamespace, tmp_path: Path, variant: str
) -> None:
    """Slice-header-exact cbcs layout: our subsamples equal shaka-packager's, sample by
    sample, across x264 configurations (CAVLC/CABAC, B-pyramid, weighted prediction, several
    slices per picture, interlaced coding)."""
    clip = media.make_clip(frames=20, audio=False, x264=X264_VARIANTS[variant])
    (tmp_path / "in.mp4").write_bytes(clip)
    keys = f"label=:key_id={media.KID.hex()}:key={media.KEY.hex()}"
    _run(
        packager,
        [
            "in=in.mp4,stream=video,output=v.mp4",
            "--enable_raw_key_encryption",
            "--keys",
            keys,
            "--protection_scheme",
            "cbcs",
            "--clear_lead",
            "0",
        ],
        tmp_path,
    )
    theirs = (tmp_path / "v.mp4").read_bytes()
    info = parse_init(theirs)
    clear = decrypt(theirs, KeyStore({media.KID: media.KEY}))
    init, _ = media.split_fmp4(clip)
    (plan,) = plan_from_init(encrypt_init(init, "cbcs", media.KID)).tracks
    headers = SliceHeaderParser(list(plan.parameter_sets))
    compared = 0
    for b in iter_boxes(theirs):
        if b.type != "moof":
            continue
        for tf in parse_fragment(theirs, b, info).trafs:
            for s in tf.samples:
                sample = memoryview(clear)[s.offset : s.offset + s.size]
                ours = video_subsamples(sample, 4, 1, "cbcs", headers)
                assert tuple(ours) == s.subsamples
                compared += 1
    assert compared == 20
