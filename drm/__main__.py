"""``python -m drm`` / ``nrdp-cenc``: info, decrypt and encrypt, modelled on Bento4.

    python -m drm info FILE [--init INIT] [--json]
    python -m drm decrypt --key KID:KEY [--key ...] [--init INIT] IN OUT
    python -m drm encrypt --scheme SCHEME --key KID:KEY [options] IN OUT

Exit status: 0 success, 1 a typed SDK error (printed as ``error: [code] message``), 2 usage.
Keys appear on the command line as mp4decrypt takes them, never in any output.
"""

from __future__ import annotations

import argparse
import itertools
import json
import mmap
import os
import re
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from drm.cenc import decrypt_into, decrypt_segment_into
from drm.clearkey import KeyStore
from drm.encrypt import encrypt_init, encrypt_segment, plan_from_init
from drm.errors import InvalidKeySpec, MissingProtectionInfo, SampleLayoutError
from drm.info import describe
from drm.protection import SCHEMES, InitProtection, parse_init
from drm.pssh import build_pssh
from mediacore.boxes import iter_boxes
from mediacore.errors import SdkError

__all__ = ["main", "parse_key_spec"]

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


def parse_key_spec(spec: str) -> tuple[bytes, bytes]:
    """``KID:KEY`` (32 hex digits each) -> (kid, key)."""
    kid, sep, key = spec.partition(":")
    if not sep or not _HEX32.fullmatch(kid) or not _HEX32.fullmatch(key):
        # Never echo the spec: it holds a key.
        raise InvalidKeySpec("--key must be KID:KEY, each 32 hex digits")
    return bytes.fromhex(kid), bytes.fromhex(key)


def _hex(value: str, sizes: tuple[int, ...], what: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise InvalidKeySpec(f"{what} must be hex") from None
    if len(raw) not in sizes:
        raise InvalidKeySpec(f"{what} must be {' or '.join(str(s) for s in sizes)} bytes")
    return raw


def _pattern(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+):(\d+)", value)
    if not m:
        raise InvalidKeySpec("--pattern must be CRYPT:SKIP, e.g. 1:9")
    return int(m.group(1)), int(m.group(2))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nrdp-cenc", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    i = sub.add_parser("info", help="describe the protection of a file or segment")
    i.add_argument("file", type=Path)
    i.add_argument("--init", type=Path, help="init segment, when FILE is a media segment")
    i.add_argument("--json", action="store_true", help="machine-readable output")

    d = sub.add_parser("decrypt", help="decrypt cenc/cens/cbc1/cbcs fragmented MP4")
    d.add_argument("input", type=Path)
    d.add_argument("output", type=Path)
    d.add_argument("--key", action="append", required=True, metavar="KID:KEY")
    d.add_argument(
        "--init",
        type=Path,
        help="init segment, when IN is a media segment (OUT is then the segment)",
    )

    e = sub.add_parser("encrypt", help="encrypt a clear fragmented MP4")
    e.add_argument("input", type=Path)
    e.add_argument("output", type=Path)
    e.add_argument("--scheme", required=True, choices=sorted(SCHEMES))
    e.add_argument("--key", required=True, metavar="KID:KEY")
    e.add_argument("--iv", help="first per-sample IV, hex (8 or 16 bytes); default random")
    e.add_argument("--iv-size", type=int, choices=(8, 16), help="per-sample IV size")
    e.add_argument("--constant-iv", help="constant IV, hex (cbcs default: random 16 bytes)")
    e.add_argument("--pattern", help="video crypt:skip pattern (cens/cbcs default 1:9)")
    e.add_argument(
        "--system-id",
        action="append",
        default=[],
        metavar="UUID",
        help="also write a pssh (v1, KID listed, no data) for this system",
    )
    e.add_argument("--no-clearkey-pssh", action="store_true")
    return p


def _keys(specs: Sequence[str]) -> KeyStore:
    store = KeyStore()
    for s in specs:
        store.add(*parse_key_spec(s))
    return store


def _print_info(doc: dict[str, object]) -> None:
    print(f"encrypted: {'yes' if doc['encrypted'] else 'no'}   fragments: {doc['fragments']}")
    for t in doc["tracks"]:  # type: ignore[attr-defined]
        line = f"track {t['track_id']} ({t['handler']}):"
        if t["encrypted"]:
            line += (
                f" {t['scheme']} {t['entry_type']}->{t['original_format']}"
                f" kid={t['default_kid']} iv_size={t['iv_size']}"
                f" pattern={t['pattern'][0]}:{t['pattern'][1]}"
            )
            if t["constant_iv"]:
                line += f" constant_iv={t['constant_iv']}"
        else:
            line += " clear"
        line += (
            f"; samples={t['samples']} encrypted={t['encrypted_samples']}"
            f" subsamples={t['subsamples']}"
        )
        print(line)
    for p in doc["pssh"]:  # type: ignore[attr-defined]
        kids = ",".join(p["kids"]) or "-"
        print(
            f"pssh v{p['version']} {p['system_id']} ({p['system']}) kids={kids} "
            f"data={p['data_size']} bytes"
        )


def _decrypt_file(
    src_path: Path, dst_path: Path, keys: KeyStore, protection: InitProtection | None
) -> None:
    """Stream the input fragment by fragment: each moof..mdat run is copied from a read-only
    map of the input into one reused buffer, decrypted in place and written, so memory stays
    at the largest fragment and the data stays in cache between the three steps. A failure
    removes the output, so no half-decrypted file is left behind looking like a success."""
    if src_path.resolve() == dst_path.resolve():
        raise OSError("input and output are the same file")
    with src_path.open("rb") as src:
        if os.fstat(src.fileno()).st_size == 0:
            raise OSError("input file is empty")
        try:
            with (
                mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ) as m,
                dst_path.open("wb") as dst,
            ):
                try:
                    _stream(memoryview(m), dst, keys, protection)
                except SampleLayoutError:
                    # Sample offsets relative to the file, not the moof (an explicit
                    # base-data-offset): fragments cannot be cut apart; decrypt it whole.
                    dst.seek(0)
                    dst.truncate()
                    whole = bytearray(m)
                    decrypt_into(whole, keys, protection)
                    dst.write(whole)
        except BaseException:
            dst_path.unlink(missing_ok=True)
            raise


def _stream(
    data: memoryview, dst: BinaryIO, keys: KeyStore, protection: InitProtection | None
) -> None:
    try:
        spans = [(b.type, b.offset, b.end) for b in iter_boxes(data)]
        moov_end = next((end for t, _, end in spans if t == "moov"), 0)
        if moov_end:
            head = bytearray(data[:moov_end])
            protection = decrypt_into(head, keys)
            dst.write(head)
        if protection is None:
            raise MissingProtectionInfo("no moov in the input and no init segment given")
        starts = [off for t, off, _ in spans if t == "moof" and off >= moov_end]
        if not starts:
            dst.write(data[moov_end:])
            return
        dst.write(data[moov_end : starts[0]])
        bounds = [*starts, len(data)]
        scratch = bytearray(max(b - a for a, b in itertools.pairwise(bounds)))
        with memoryview(scratch) as sv:
            for a, b in itertools.pairwise(bounds):
                chunk = sv[: b - a]
                chunk[:] = data[a:b]
                decrypt_segment_into(chunk, protection, keys)
                dst.write(chunk)
                chunk.release()
    finally:
        data.release()


def _split_init(data: bytes) -> tuple[bytes, bytes]:
    """(everything up to and including moov, the rest) of a single-file fMP4."""
    for b in iter_boxes(data):
        if b.type == "moov":
            return data[: b.end], data[b.end :]
    return b"", data


def _run(args: argparse.Namespace) -> int:
    if args.command == "info":
        data = args.file.read_bytes()
        init = args.init.read_bytes() if args.init else None
        doc = describe(data, init)
        if args.json:
            print(
                json.dumps(
                    {"file": str(args.file), "init": str(args.init) if args.init else None, **doc},
                    indent=2,
                )
            )
        else:
            _print_info(doc)
        return 0
    if args.command == "decrypt":
        keys = _keys(args.key)
        protection = parse_init(args.init.read_bytes()) if args.init else None
        _decrypt_file(args.input, args.output, keys, protection)
        return 0
    kid, key = parse_key_spec(args.key)
    head, tail = _split_init(args.input.read_bytes())
    pssh = [build_pssh(uuid.UUID(s).bytes, [kid], b"", 1) for s in args.system_id]
    enc_init = encrypt_init(
        head,
        args.scheme,
        kid,
        iv_size=args.iv_size,
        constant_iv=_hex(args.constant_iv, (8, 16), "--constant-iv") if args.constant_iv else None,
        pattern=_pattern(args.pattern) if args.pattern else None,
        pssh=pssh,
        clearkey=not args.no_clearkey_pssh,
    )
    iv = _hex(args.iv, (8, 16), "--iv") if args.iv else None
    body = encrypt_segment(tail, plan_from_init(enc_init), key, iv=iv) if tail else b""
    args.output.write_bytes(enc_init + body)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except SdkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
