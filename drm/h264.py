"""The size of an H.264 slice header (ITU-T H.264 7.3.3), for cbcs subsample layout.

CMAF and ISO/IEC 23001-7 want a cbcs protected range to start at the first byte of slice data,
right after the slice header. Its length depends on the active SPS and PPS, so this module
keeps the parameter sets (from avcC and from in-band SPS/PPS NAL units) and parses just enough
of each slice header to know where it ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from drm.errors import SampleLayoutError

__all__ = ["BitReader", "SliceHeaderParser", "avcc_parameter_sets"]

_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
_P, _B, _I, _SP, _SI = 0, 1, 2, 3, 4


class BitReader:
    """Exp-Golomb bit reader over a NAL unit, skipping emulation prevention bytes.

    ``escaped_bytes_consumed()`` counts bytes of the *escaped* NAL unit, which is what
    subsample sizes are measured in.
    """

    __slots__ = ("_bit", "_cur", "_data", "_escaped", "_pos", "_zeros")

    def __init__(self, data: bytes | memoryview) -> None:
        self._data = data
        self._pos = 0  # next byte to load
        self._bit = 0  # bits left in _cur
        self._cur = 0
        self._zeros = 0
        self._escaped = 0  # escaped bytes loaded so far

    def _load(self) -> None:
        while True:
            if self._pos >= len(self._data):
                raise SampleLayoutError("slice header runs past the end of its NAL unit")
            b = self._data[self._pos]
            self._pos += 1
            if self._zeros >= 2 and b == 3:
                self._zeros = 0
                continue
            self._zeros = self._zeros + 1 if b == 0 else 0
            self._cur = b
            self._bit = 8
            self._escaped = self._pos
            return

    def u(self, n: int) -> int:
        v = 0
        for _ in range(n):
            if self._bit == 0:
                self._load()
            self._bit -= 1
            v = (v << 1) | ((self._cur >> self._bit) & 1)
        return v

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise SampleLayoutError("exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)

    def escaped_bytes_consumed(self) -> int:
        """Bytes of the escaped input holding every bit read so far."""
        return self._escaped


@dataclass(frozen=True)
class _Sps:
    chroma_array_type: int
    separate_colour_plane: bool
    log2_max_frame_num: int
    poc_type: int
    log2_max_poc_lsb: int
    delta_pic_order_always_zero: bool
    frame_mbs_only: bool


@dataclass(frozen=True)
class _Pps:
    sps_id: int
    entropy_coding_mode: bool
    bottom_field_pic_order_in_frame_present: bool
    num_slice_groups_minus1: int
    num_ref_idx_l0_default: int
    num_ref_idx_l1_default: int
    weighted_pred: bool
    weighted_bipred_idc: int
    deblocking_filter_control_present: bool
    redundant_pic_cnt_present: bool


def _scaling_list(r: BitReader, size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt != 0:
            nxt = (last + r.se() + 256) % 256
        last = nxt if nxt != 0 else last


def _parse_sps(nal: bytes | memoryview) -> tuple[int, _Sps]:
    r = BitReader(nal[1:])
    profile = r.u(8)
    r.u(16)
    sps_id = r.ue()
    chroma_format_idc = 1
    separate = False
    if profile in _HIGH_PROFILES:
        chroma_format_idc = r.ue()
        if chroma_format_idc == 3:
            separate = bool(r.u(1))
        r.ue()
        r.ue()
        r.u(1)
        if r.u(1):
            for i in range(8 if chroma_format_idc != 3 else 12):
                if r.u(1):
                    _scaling_list(r, 16 if i < 6 else 64)
    log2_max_frame_num = r.ue() + 4
    poc_type = r.ue()
    log2_max_poc_lsb = 0
    always_zero = False
    if poc_type == 0:
        log2_max_poc_lsb = r.ue() + 4
    elif poc_type == 1:
        always_zero = bool(r.u(1))
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()
    r.u(1)
    r.ue()
    r.ue()
    frame_mbs_only = bool(r.u(1))
    chroma_array_type = 0 if separate else chroma_format_idc
    return sps_id, _Sps(
        chroma_array_type,
        separate,
        log2_max_frame_num,
        poc_type,
        log2_max_poc_lsb,
        always_zero,
        frame_mbs_only,
    )


def _parse_pps(nal: bytes | memoryview) -> tuple[int, _Pps]:
    r = BitReader(nal[1:])
    pps_id = r.ue()
    sps_id = r.ue()
    entropy = bool(r.u(1))
    bottom = bool(r.u(1))
    groups = r.ue()
    if groups > 0:
        # Flexible macroblock ordering (Baseline only): the slice header then depends on
        # the slice group map; not needed for the formats the packager writes.
        return pps_id, _Pps(sps_id, entropy, bottom, groups, 1, 1, False, 0, False, False)
    l0 = r.ue() + 1
    l1 = r.ue() + 1
    weighted_pred = bool(r.u(1))
    weighted_bipred = r.u(2)
    r.se()
    r.se()
    r.se()
    deblocking = bool(r.u(1))
    r.u(1)
    redundant = bool(r.u(1))
    return pps_id, _Pps(
        sps_id,
        entropy,
        bottom,
        groups,
        l0,
        l1,
        weighted_pred,
        weighted_bipred,
        deblocking,
        redundant,
    )


def avcc_parameter_sets(avcc: bytes | memoryview) -> list[bytes]:
    """The SPS and PPS NAL units of an AVCDecoderConfigurationRecord."""
    out: list[bytes] = []
    if len(avcc) < 7:
        raise SampleLayoutError("avcC too short")
    pos = 5
    for count_mask in (0x1F, 0xFF):
        count = avcc[pos] & count_mask
        pos += 1
        for _ in range(count):
            if pos + 2 > len(avcc):
                raise SampleLayoutError("avcC parameter set list truncated")
            n = (avcc[pos] << 8) | avcc[pos + 1]
            pos += 2
            if pos + n > len(avcc):
                raise SampleLayoutError("avcC parameter set truncated")
            out.append(bytes(avcc[pos : pos + n]))
            pos += n
    return out


class SliceHeaderParser:
    """Tracks SPS/PPS and returns the escaped byte length of NAL header + slice header."""

    def __init__(self, parameter_sets: list[bytes] | None = None) -> None:
        self._sps: dict[int, _Sps] = {}
        self._pps: dict[int, _Pps] = {}
        for ps in parameter_sets or []:
            self.process(ps)

    def process(self, nal: bytes | memoryview) -> None:
        """Remember an SPS (type 7) or PPS (type 8); other NAL units are ignored."""
        if not nal:
            return
        t = nal[0] & 0x1F
        try:
            if t == 7:
                sid, sps = _parse_sps(nal)
                self._sps[sid] = sps
            elif t == 8:
                pid, pps = _parse_pps(nal)
                self._pps[pid] = pps
        except SampleLayoutError:
            pass  # an unparsable parameter set only matters if a slice refers to it

    def header_size(self, nal: bytes | memoryview) -> int | None:
        """Escaped bytes of the NAL header and slice header of a slice NAL unit (type 1-5),
        or None when its parameter sets are unknown or it uses slice groups."""
        nal_type = nal[0] & 0x1F
        nal_ref_idc = (nal[0] >> 5) & 3
        r = BitReader(nal[1:])
        r.ue()
        slice_type = r.ue() % 5
        pps = self._pps.get(r.ue())
        if pps is None or pps.num_slice_groups_minus1 > 0:
            return None
        sps = self._sps.get(pps.sps_id)
        if sps is None:
            return None
        if sps.separate_colour_plane:
            r.u(2)
        r.u(sps.log2_max_frame_num)
        field_pic = False
        if not sps.frame_mbs_only:
            field_pic = bool(r.u(1))
            if field_pic:
                r.u(1)
        if nal_type == 5:
            r.ue()
        if sps.poc_type == 0:
            r.u(sps.log2_max_poc_lsb)
            if pps.bottom_field_pic_order_in_frame_present and not field_pic:
                r.se()
        elif sps.poc_type == 1 and not sps.delta_pic_order_always_zero:
            r.se()
            if pps.bottom_field_pic_order_in_frame_present and not field_pic:
                r.se()
        if pps.redundant_pic_cnt_present:
            r.ue()
        if slice_type == _B:
            r.u(1)
        l0, l1 = pps.num_ref_idx_l0_default, pps.num_ref_idx_l1_default
        if slice_type in (_P, _SP, _B) and r.u(1):
            l0 = r.ue() + 1
            if slice_type == _B:
                l1 = r.ue() + 1
        if slice_type not in (_I, _SI):
            for _ in range(2 if slice_type == _B else 1):
                if r.u(1):
                    while True:
                        idc = r.ue()
                        if idc == 3:
                            break
                        if idc > 5:
                            raise SampleLayoutError(f"modification_of_pic_nums_idc {idc}")
                        r.ue()
        if (pps.weighted_pred and slice_type in (_P, _SP)) or (
            pps.weighted_bipred_idc == 1 and slice_type == _B
        ):
            r.ue()
            if sps.chroma_array_type != 0:
                r.ue()
            for count in (l0, l1) if slice_type == _B else (l0,):
                for _ in range(count):
                    if r.u(1):
                        r.se()
                        r.se()
                    if sps.chroma_array_type != 0 and r.u(1):
                        for _ in range(4):
                            r.se()
        if nal_ref_idc:
            if nal_type == 5:
                r.u(2)
            elif r.u(1):
                while True:
                    op = r.ue()
                    if op == 0:
                        break
                    if op > 6:
                        raise SampleLayoutError(f"memory_management_control_operation {op}")
                    if op in (1, 3):
                        r.ue()
                    if op == 2:
                        r.ue()
                    if op in (3, 6):
                        r.ue()
                    if op == 4:
                        r.ue()
        if pps.entropy_coding_mode and slice_type not in (_I, _SI):
            r.ue()
        r.se()
        if slice_type in (_SP, _SI):
            if slice_type == _SP:
                r.u(1)
            r.se()
        if pps.deblocking_filter_control_present and r.ue() != 1:
            r.se()
            r.se()
        return 1 + r.escaped_bytes_consumed()
