"""The ``python -m drm`` / ``nrdp-cenc`` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from drm.__main__ import main, parse_key_spec
from drm.errors import InvalidKeySpec

PACKAGER_KEY = "31323334353637383930313233343536:32333435363738393021323334353637"


def test_info_json_on_a_single_file(cenc_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json", str(cenc_dir / "packager_cbcs" / "bear-640x360-video.mp4")]) == 0
    doc = json.loads(capsys.readouterr().out)
    (t,) = doc["tracks"]
    assert t["scheme"] == "cbcs" and t["pattern"] == [1, 9] and t["iv_size"] == 0
    assert t["constant_iv"] == "3334353637383930"
    assert t["default_kid"] == "31323334353637383930313233343536"
    assert (t["samples"], t["encrypted_samples"]) == (82, 52)
    assert doc["fragments"] == 3
    assert [p["system"] for p in doc["pssh"]] == ["ClearKey"]


def test_info_text_with_init(cenc_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = cenc_dir / "shakaplayer_dash-clearkey"
    assert (
        main(
            [
                "info",
                str(d / "video-H264-288-400k_2.m4s"),
                "--init",
                str(d / "video-H264-288-400k_init.mp4"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "cenc encv->avc1" in out and "encrypted=96" in out
    assert "PlayReady" in out and "Widevine" in out


def test_decrypt_single_file_and_segment(
    cenc_dir: Path, tmp_path: Path, media: SimpleNamespace
) -> None:
    src = cenc_dir / "packager_cens" / "bear-640x360-video.mp4"
    out = tmp_path / "clear.mp4"
    assert main(["decrypt", "--key", PACKAGER_KEY, str(src), str(out)]) == 0
    golden = (cenc_dir / "packager_cens" / "decrypted-bear-640x360-video-0.mp4").read_bytes()
    assert media.mdat_bytes(out.read_bytes()) == media.mdat_bytes(golden)
    d = cenc_dir / "packager_live_cenc"
    seg_out = tmp_path / "seg.m4s"
    assert (
        main(
            [
                "decrypt",
                "--key",
                "00" * 16 + ":" + "11" * 16,
                "--key",
                PACKAGER_KEY,
                "--init",
                str(d / "bear-640x360-audio-init.mp4"),
                str(d / "bear-640x360-audio-2.m4s"),
                str(seg_out),
            ]
        )
        == 0
    )
    assert seg_out.stat().st_size == (d / "bear-640x360-audio-2.m4s").stat().st_size


def test_decrypt_errors_never_print_the_key(
    cenc_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = cenc_dir / "packager_cenc" / "bear-640x360-audio.mp4"
    wrong = "ffeeddccbbaa99887766554433221100:0123456789abcdef0123456789abcdef"
    assert main(["decrypt", "--key", wrong, str(src), str(tmp_path / "o.mp4")]) == 1
    err = capsys.readouterr().err
    assert "6002" in err and "31323334353637383930313233343536" in err
    assert "0123456789abcdef" not in err
    assert not (tmp_path / "o.mp4").exists()
    assert (
        main(
            [
                "decrypt",
                "--key",
                "nothex:0123456789abcdef0123456789abcdef",
                str(src),
                str(tmp_path / "o.mp4"),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "6009" in err and "0123456789abcdef" not in err


def test_encrypt_then_decrypt_via_cli(
    clip: bytes, tmp_path: Path, media: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "clear.mp4"
    src.write_bytes(clip)
    key = media.KID.hex() + ":" + media.KEY.hex()
    enc = tmp_path / "enc.mp4"
    assert (
        main(
            [
                "encrypt",
                "--scheme",
                "cbcs",
                "--key",
                key,
                "--pattern",
                "1:9",
                "--system-id",
                "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",
                str(src),
                str(enc),
            ]
        )
        == 0
    )
    assert main(["info", "--json", str(enc)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {t["scheme"] for t in doc["tracks"]} == {"cbcs"}
    assert {p["system"] for p in doc["pssh"]} == {"ClearKey", "Widevine"}
    dec = tmp_path / "dec.mp4"
    assert main(["decrypt", "--key", key, str(enc), str(dec)]) == 0
    assert media.mdat_bytes(dec.read_bytes()) == media.mdat_bytes(clip)


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["encrypt", "--scheme", "rot13", "--key", "a:b", "x", "y"])
    assert exc.value.code == 2


def test_parse_key_spec() -> None:
    assert parse_key_spec("00" * 16 + ":" + "ff" * 16) == (bytes(16), b"\xff" * 16)
    for bad in ["", "00" * 16, "00" * 15 + ":" + "ff" * 16, "zz" * 16 + ":" + "ff" * 16]:
        with pytest.raises(InvalidKeySpec):
            parse_key_spec(bad)


def test_module_entry_point(cenc_dir: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "drm", "info", str(cenc_dir / "mp4parse" / "short-cenc.mp4")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "7e571d017e571d017e571d017e571d01" in res.stdout


@pytest.mark.parametrize(
    ("relpath", "key"),
    [
        ("packager_cbcs/bear-640x360-video.mp4", PACKAGER_KEY),
        ("packager_cenc/bear-640x360-audio.mp4", PACKAGER_KEY),
        # Sample offsets relative to the file (explicit base-data-offset): the CLI cannot
        # stream fragment by fragment and must fall back to decrypting the file whole.
        (
            "androidx_clearkey/sample_fragmented_clearkey.mp4",
            "cd7eb9ff88f34caeb06185b00024e4c2:63cb5f7184dd4b689a5c5ff11ee6a328",
        ),
    ],
)
def test_streaming_cli_equals_the_in_memory_decrypt(
    cenc_dir: Path, tmp_path: Path, relpath: str, key: str
) -> None:
    from drm.cenc import decrypt
    from drm.clearkey import KeyStore

    src = cenc_dir / relpath
    out = tmp_path / "clear.mp4"
    assert main(["decrypt", "--key", key, str(src), str(out)]) == 0
    kid, k = (bytes.fromhex(x) for x in key.split(":"))
    assert out.read_bytes() == bytes(decrypt(src.read_bytes(), KeyStore({kid: k})))
