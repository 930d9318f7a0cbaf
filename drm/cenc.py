"""CENC decryption (ISO/IEC 23001-7): cenc, cens, cbc1, cbcs, in place, segment by segment.

The player calls :func:`decrypt_init` once per init segment (it returns the clear init and
the :class:`~drm.protection.InitProtection` that later calls need), then
:func:`decrypt_segment` for each media segment. :func:`decrypt` does a whole single-file
fragmented MP4 (moov + moofs) at once.

Output is clear fragmented MP4 of the same size: ``encv``/``enca`` are renamed to their
original format (from ``frma``), and every protection box (sinf, pssh, senc, saiz, saio, seig
sample groups) is renamed ``free`` in place, so every offset in the file stays valid.

Speed: the output buffer is the only copy (none with the ``*_into`` functions). cenc samples
are decrypted with ``update_into`` into a per-thread scratch buffer and copied back (one
memcpy; cryptography 51+ refuses an ``update_into`` whose input and output overlap), one CTR
context per sample.
cbcs decrypts all of a fragment's chains with one AES-CBC call: the encrypted blocks are
gathered with strided memoryview copies behind a 16-byte IV slot per chain (see
:func:`_decrypt_cbcs_batch`), so a 1:9 pattern costs two strided copies per subsample rather
than a call per block. cens and cbc1 go sample by sample through :func:`crypt_sample`, which
is also the encrypter's primitive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from drm.clearkey import KeyStore
from drm.errors import (
    DecryptionFailed,
    MissingProtectionInfo,
    SampleLayoutError,
    UnsupportedScheme,
)
from drm.protection import (
    FragmentLayout,
    InitProtection,
    Sample,
    find_sample_entry_children_offset,
    parse_init,
    parse_segment,
)
from mediacore.boxes import Box, iter_boxes

__all__ = [
    "MutableBuffer",
    "crypt_sample",
    "decrypt",
    "decrypt_init",
    "decrypt_init_into",
    "decrypt_into",
    "decrypt_segment",
    "decrypt_segment_into",
    "pattern_spans",
]

if TYPE_CHECKING:
    import mmap

MutableBuffer: TypeAlias = "bytearray | memoryview | mmap.mmap"  # mmap: the CLI maps files
"""What the in-place functions decrypt: a bytearray, a writable memoryview or an mmap."""

_FREE = b"free"


# ------------------------------------------------------------------------ sample crypto


def _iv16(iv: bytes) -> bytes:
    return iv + bytes(16 - len(iv)) if len(iv) < 16 else iv


def pattern_spans(start: int, length: int, crypt: int, skip: int) -> tuple[int, int, int, int]:
    """Encrypted blocks of one protected range under a crypt:skip pattern.

    Returns ``(start, periods, period_bytes, tail_bytes)``: ``periods`` repetitions of
    ``crypt*16`` encrypted bytes every ``period_bytes``, then ``tail_bytes`` encrypted bytes
    (the complete blocks left when fewer than ``crypt`` remain). Partial blocks stay clear.
    """
    blocks = length // 16
    period = crypt + skip
    periods, rem = divmod(blocks, period)
    tail = min(rem, crypt) * 16
    return start, periods, period * 16, tail


_Plan = list[tuple[int, int, int, int, int, int]]
"""Gather plan items: (start, periods, period bytes, crypt bytes, tail bytes, gather offset)."""


def _gather(
    mv: memoryview, ranges: Iterable[tuple[int, int]], crypt: int, skip: int
) -> tuple[bytearray, _Plan]:
    """Copy the pattern-encrypted blocks of ``ranges`` into one contiguous buffer."""
    plan: _Plan = []
    total = 0
    for start, length in ranges:
        _, periods, pbytes, tail = pattern_spans(start, length, crypt, skip)
        plan.append((start, periods, pbytes, crypt * 16, tail, total))
        total += periods * crypt * 16 + tail
    out = bytearray(total)
    _copy_plan(mv, memoryview(out), plan, to_gather=True)
    return out, plan


_scratch_tls = threading.local()


def _update_in_place(ctx: Any, view: memoryview) -> None:
    """Run ``view`` through the CTR context ``ctx`` and write the result back over it.

    ``update_into`` may not overlap its input and output (cryptography 51+), so the output
    goes to a reusable per-thread buffer (room for the block-size slack the API asks for)
    and is copied back: no allocation per sample, one memcpy.
    """
    n = len(view)
    buf: bytearray | None = getattr(_scratch_tls, "buf", None)
    if buf is None or len(buf) < n + 15:
        buf = bytearray(max(n + 15, 1 << 16, 2 * len(buf) if buf is not None else 0))
        _scratch_tls.buf = buf
    with memoryview(buf) as out:
        written = ctx.update_into(view, out[: n + 15])
        view[:written] = out[:written]


def _protected_ranges(s: Sample) -> list[tuple[int, int]]:
    if not s.subsamples:
        return [(s.offset, s.size)]
    out = []
    pos = s.offset
    for clear, prot in s.subsamples:
        pos += clear
        if prot:
            out.append((pos, prot))
        pos += prot
    return out


def crypt_sample(mv: memoryview, s: Sample, scheme: str, key: bytes, *, encrypt: bool) -> None:
    """Encrypt or decrypt one sample of ``mv`` in place under ``scheme``."""
    p = s.params
    if p is None:
        return
    iv = _iv16(s.iv)
    ranges = _protected_ranges(s)
    if not ranges:
        return
    crypt, skip = p.crypt_byte_block, p.skip_byte_block
    aes = algorithms.AES(key)
    if scheme == "cenc":
        ctx = Cipher(aes, modes.CTR(iv)).decryptor()
        for a, n in ranges:
            _update_in_place(ctx, mv[a : a + n])
        return
    if scheme == "cens":
        if crypt == 0:
            crypt, skip = 1, 0  # 0:0 = no pattern, but partial blocks still stay clear
        if skip == 0 and len(ranges) == 1:
            a, n = ranges[0]
            _update_in_place(Cipher(aes, modes.CTR(iv)).decryptor(), mv[a : a + n - n % 16])
            return
        gbuf, plan = _gather(mv, ranges, crypt, skip)
        gv = memoryview(gbuf)
        _update_in_place(Cipher(aes, modes.CTR(iv)).decryptor(), gv)
        _copy_plan(mv, gv, plan, to_gather=False)
        return
    if scheme == "cbc1":
        # One CBC chain over the concatenated protected bytes; a trailing partial block
        # of that concatenation stays clear.
        total = sum(n for _, n in ranges)
        whole = total - total % 16
        if whole == 0:
            return
        if len(ranges) == 1:
            a = ranges[0][0]
            _cbc(aes, iv, mv[a : a + whole], encrypt)
            return
        trimmed = []
        left = whole
        for a, n in ranges:
            take = min(n, left)
            if take:
                trimmed.append((a, take))
            left -= take
        gbuf = bytearray(b"".join(mv[a : a + n] for a, n in trimmed))
        _cbc(aes, iv, memoryview(gbuf), encrypt)
        g = 0
        for a, n in trimmed:
            mv[a : a + n] = gbuf[g : g + n]
            g += n
        return
    if scheme == "cbcs":
        if crypt == 0:
            crypt, skip = 1, 0  # 0:0 means no pattern: every complete block is encrypted
        for a, n in ranges:
            # The IV restarts for every subsample (constant IV or the sample's IV).
            if skip == 0:
                whole = n - n % 16
                if whole:
                    _cbc(aes, iv, mv[a : a + whole], encrypt)
                continue
            gbuf, plan = _gather(mv, [(a, n)], crypt, skip)
            if gbuf:
                _cbc(aes, iv, memoryview(gbuf), encrypt)
                _copy_plan(mv, memoryview(gbuf), plan, to_gather=False)
        return
    raise UnsupportedScheme(scheme=scheme)


def _cbc(aes: algorithms.AES, iv: bytes, view: memoryview, encrypt: bool) -> None:
    """AES-CBC over whole blocks, written back in place (``update_into`` would need a spare
    block of output room, which a slice of the sample does not have)."""
    c = Cipher(aes, modes.CBC(iv))
    ctx = c.encryptor() if encrypt else c.decryptor()
    view[:] = ctx.update(view)


# --------------------------------------------------------------------- box neutralizing


def _rename(buf: MutableBuffer, b: Box, fourcc: bytes) -> None:
    pos = b.offset + 4
    buf[pos : pos + 4] = fourcc


def _clear_moov(buf: MutableBuffer, moov: Box) -> None:
    """encv/enca -> original format, sinf/pssh/seig groups -> free, inside one moov."""
    for b in moov.children():
        if b.type == "pssh":
            _rename(buf, b, _FREE)
        elif b.type == "trak":
            handler = ""
            mdia = b.child("mdia")
            if mdia is None:
                continue
            hdlr = mdia.child("hdlr")
            if hdlr is not None:
                handler = hdlr.fields(8).fourcc()
            minf = mdia.child("minf")
            stbl = minf.child("stbl") if minf is not None else None
            if stbl is None:
                continue
            for sb in stbl.children():
                if sb.type == "stsd":
                    for entry in sb.children(8):
                        skip = find_sample_entry_children_offset(entry, handler)
                        if skip >= entry.size - entry.header_size:
                            continue
                        sinf = next((c for c in entry.children(skip) if c.type == "sinf"), None)
                        if sinf is None:
                            continue
                        frma = sinf.child("frma")
                        if frma is not None:
                            _rename(buf, entry, bytes(frma.fields().view(4)))
                        _rename(buf, sinf, _FREE)
                elif sb.type in ("sgpd", "sbgp") and bytes(sb.fields(4).view(4)) == b"seig":
                    _rename(buf, sb, _FREE)


# --------------------------------------------------------------------------- public API


def decrypt_init_into(buf: MutableBuffer) -> InitProtection:
    """Neutralize the protection of the init segment in ``buf`` in place; return its info."""
    with memoryview(buf) as view:
        info = parse_init(view)
        for b in iter_boxes(view):
            if b.type == "moov":
                _clear_moov(view, b)
            elif b.type == "pssh":
                _rename(view, b, _FREE)
    return info


def decrypt_init(init: bytes | bytearray | memoryview) -> tuple[bytearray, InitProtection]:
    """(clear init segment, protection info for :func:`decrypt_segment`)."""
    buf = bytearray(init)
    info = decrypt_init_into(buf)
    return buf, info


def _decrypt_ctr_samples(mv: memoryview, items: list[tuple[Sample, algorithms.AES]]) -> None:
    """cenc fast path: one CTR context per sample, in place, counter running on across
    the sample's protected ranges."""
    for s, aes in items:
        iv = s.iv if len(s.iv) == 16 else s.iv + bytes(16 - len(s.iv))
        ctx = Cipher(aes, modes.CTR(iv)).decryptor()
        if not s.subsamples:
            _update_in_place(ctx, mv[s.offset : s.offset + s.size])
            continue
        pos = s.offset
        for clear, prot in s.subsamples:
            pos += clear
            if prot:
                _update_in_place(ctx, mv[pos : pos + prot])
                pos += prot


def _decrypt_cbcs_batch(
    mv: memoryview, items: list[tuple[Sample, algorithms.AES]], scratch: _Scratch
) -> None:
    """cbcs fast path: one AES-CBC call per key for a whole fragment.

    Every chain (a subsample's encrypted blocks; the IV restarts per subsample) is gathered
    into one buffer behind a 16-byte slot holding its IV. CBC-decrypting that buffer in one
    call gives each chain's first block the IV as its predecessor; the slots decrypt to
    garbage that is never scattered back. So a fragment costs one cipher context and two
    strided copies per subsample, however many subsamples it has.
    """
    batches: dict[int, _CbcBatch] = {}
    for s, aes in items:
        p = s.params
        assert p is not None
        crypt, skip = p.crypt_byte_block, p.skip_byte_block
        if crypt == 0 or skip == 0:
            crypt, skip = 1, 0
        iv = _iv16(s.iv)
        batch = batches.get(id(aes))
        if batch is None:
            batch = batches[id(aes)] = _CbcBatch(aes)
        for a, n in _protected_ranges(s):
            if skip == 0:
                whole = n - n % 16
                if whole:
                    batch.add((a, 1, whole, whole, 0), iv)
                continue
            start, periods, pbytes, tail = pattern_spans(a, n, crypt, skip)
            if periods or tail:
                batch.add((start, periods, pbytes, crypt * 16, tail), iv)
    for batch in batches.values():
        if not batch.plan:
            continue
        gv = scratch.view(0, batch.size)
        for at, iv in batch.slots:
            gv[at : at + 16] = iv
        _copy_plan(mv, gv, batch.plan, to_gather=True)
        out = scratch.view(1, batch.size + 16)
        Cipher(batch.aes, modes.CBC(bytes(16))).decryptor().update_into(gv, out)
        _copy_plan(mv, out, batch.plan, to_gather=False)


class _Scratch:
    """Two reusable work buffers, so a long file does not fault in fresh pages per fragment."""

    __slots__ = ("bufs",)

    def __init__(self) -> None:
        self.bufs = [bytearray(), bytearray()]

    def view(self, which: int, size: int) -> memoryview:
        if len(self.bufs[which]) < size:
            self.bufs[which] = bytearray(max(size, 2 * len(self.bufs[which])))
        return memoryview(self.bufs[which])[:size]


class _CbcBatch:
    """The gather layout of one key's CBC chains: [IV slot][chain][IV slot][chain]..."""

    __slots__ = ("aes", "plan", "size", "slots")

    def __init__(self, aes: algorithms.AES) -> None:
        self.aes = aes
        self.plan: _Plan = []
        self.slots: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, spans: tuple[int, int, int, int, int], iv: bytes) -> None:
        start, periods, pbytes, cb, tail = spans
        self.slots.append((self.size, iv))
        self.plan.append((start, periods, pbytes, cb, tail, self.size + 16))
        self.size += 16 + periods * cb + tail


def _copy_plan(
    mv: memoryview,
    gv: memoryview,
    plan: _Plan,
    *,
    to_gather: bool,
) -> None:
    """Move pattern blocks between ``mv`` and ``gv``; a plan item is
    (start, periods, period bytes, crypt bytes, tail bytes, offset in ``gv``)."""
    for start, periods, pbytes, cb, tail, g in plan:
        if periods:
            n = periods * cb
            if periods == 1 or pbytes == cb:
                if to_gather:
                    gv[g : g + n] = mv[start : start + n]
                else:
                    mv[start : start + n] = gv[g : g + n]
            else:
                src = mv[start : start + periods * pbytes].cast("Q")
                dst = gv[g : g + n].cast("Q")
                step = pbytes // 8
                words = cb // 8
                for w in range(words):
                    if to_gather:
                        dst[w::words] = src[w::step]
                    else:
                        src[w::step] = dst[w::words]
            g += n
        if tail:
            t0 = start + periods * pbytes
            if to_gather:
                gv[g : g + tail] = mv[t0 : t0 + tail]
            else:
                mv[t0 : t0 + tail] = gv[g : g + tail]


def decrypt_segment_into(
    buf: MutableBuffer, protection: InitProtection, keys: KeyStore
) -> list[FragmentLayout]:
    """Decrypt every moof/mdat of ``buf`` in place (the zero-copy path for a player that
    downloads into a bytearray). Nothing is written unless every fragment parses and every
    key is present, so such an error leaves ``buf`` unchanged."""
    mv = memoryview(buf)
    try:
        layouts = parse_segment(mv, protection)
        ciphers: dict[bytes, algorithms.AES] = {}
        raw_keys: dict[int, bytes] = {}
        work: list[dict[str, list[tuple[Sample, algorithms.AES]]]] = []
        for lay in layouts:
            batches: dict[str, list[tuple[Sample, algorithms.AES]]] = {}
            for tf in lay.trafs:
                if tf.scheme is None:
                    continue
                batch = batches.setdefault(tf.scheme, [])
                for s in tf.samples:
                    p = s.params
                    if p is None or not s.size:  # an empty sample has nothing to decrypt
                        continue
                    aes = ciphers.get(p.kid)
                    if aes is None:
                        key = keys.get(p.kid)
                        aes = ciphers[p.kid] = algorithms.AES(key)
                        raw_keys[id(aes)] = key
                    batch.append((s, aes))
            work.append(batches)
        scratch = _Scratch()
        for batches in work:  # fragment by fragment: bounded work buffers
            for scheme, items in batches.items():
                try:
                    if scheme == "cenc":
                        _decrypt_ctr_samples(mv, items)
                    elif scheme == "cbcs":
                        _decrypt_cbcs_batch(mv, items, scratch)
                    else:
                        for s, aes in items:
                            crypt_sample(mv, s, scheme, raw_keys[id(aes)], encrypt=False)
                except ValueError as exc:
                    raise DecryptionFailed(
                        f"the cipher rejected a {scheme} sample: {exc}"
                    ) from None
        for lay in layouts:
            for tf in lay.trafs:
                for off in tf.neutralize:
                    mv[off + 4 : off + 8] = _FREE
        for b in iter_boxes(mv):
            if b.type == "moof":
                for c in b.children():
                    if c.type == "pssh":
                        mv[c.offset + 4 : c.offset + 8] = _FREE
    finally:
        mv.release()
    return layouts


def decrypt_segment(
    segment: bytes | bytearray | memoryview, protection: InitProtection, keys: KeyStore
) -> bytearray:
    """Decrypt one media segment (styp/sidx/moof/mdat...) with the init's protection."""
    buf = bytearray(segment)
    decrypt_segment_into(buf, protection, keys)
    return buf


def decrypt_into(
    buf: MutableBuffer, keys: KeyStore, protection: InitProtection | None = None
) -> InitProtection:
    """Decrypt in place a whole fragmented MP4 (moov + moofs) or, given ``protection``, a
    media segment; returns the protection info that was used."""
    with memoryview(buf) as view:
        types = {b.type for b in iter_boxes(view)}
        has_samples = any(b.type == "mdat" and b.size > b.header_size for b in iter_boxes(view))
    if "moov" in types:
        protection = decrypt_init_into(buf)
    if protection is None:
        raise MissingProtectionInfo("no moov in the input and no init segment given")
    if "moof" in types:
        decrypt_segment_into(buf, protection, keys)
    elif "moov" in types and protection.encrypted and has_samples:
        raise SampleLayoutError("non-fragmented encrypted MP4 is not supported")
    return protection


def decrypt(
    data: bytes | bytearray | memoryview,
    keys: KeyStore,
    protection: InitProtection | None = None,
) -> bytearray:
    """Decrypt a whole fragmented MP4 (moov + moofs) or, given ``protection``, a segment."""
    buf = bytearray(data)
    decrypt_into(buf, keys, protection)
    return buf
