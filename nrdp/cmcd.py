"""Common Media Client Data (CTA-5004, version 1): what the player tells the CDN per request.

A :class:`CmcdData` value holds the keys; :func:`encode` renders the payload (``key=value``
pairs sorted by key, comma separated, booleans as a bare key when true and omitted when
false, strings in double quotes, tokens bare), :func:`to_query` renders the ``CMCD=`` query
argument (URL-encoded like ``encodeURIComponent``) and :func:`to_headers` splits the keys
over the four headers CMCD-Object, CMCD-Request, CMCD-Session and CMCD-Status. Values the
spec rounds (buffer length and deadline to 100 ms, throughputs to 100 kbps) are rounded here,
and default values (``pr=1``, ``v=1``) are omitted, as the spec asks.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from urllib.parse import quote, unquote

from nrdp.errors import InvalidArgument

__all__ = [
    "HEADERS",
    "KEYS",
    "CmcdData",
    "CmcdMode",
    "KeySpec",
    "ObjectType",
    "StreamType",
    "StreamingFormat",
    "ValueKind",
    "append_to_url",
    "apply",
    "encode",
    "parse_payload",
    "to_headers",
    "to_query",
]


class CmcdMode(enum.Enum):
    """How CMCD data travels: the ``CMCD=`` query argument or the four CMCD-* headers."""

    QUERY = "query"
    HEADER = "header"


class ObjectType(enum.Enum):
    """``ot``: the type of object being requested."""

    MANIFEST = "m"
    AUDIO = "a"
    VIDEO = "v"
    MUXED = "av"
    INIT = "i"
    CAPTION = "c"
    TIMED_TEXT = "tt"
    KEY = "k"
    OTHER = "o"


class StreamingFormat(enum.Enum):
    """``sf``: the streaming format of the current session."""

    DASH = "d"
    HLS = "h"
    SMOOTH = "s"
    OTHER = "o"


class StreamType(enum.Enum):
    """``st``: VOD or live."""

    VOD = "v"
    LIVE = "l"


class ValueKind(enum.Enum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    STRING = "string"
    TOKEN = "token"


@dataclass(frozen=True)
class KeySpec:
    """One reserved key: its type, header and the step it is rounded to (0 = none)."""

    key: str
    field: str
    kind: ValueKind
    header: str
    round_to: int = 0


_OBJECT, _REQUEST, _SESSION, _STATUS = "CMCD-Object", "CMCD-Request", "CMCD-Session", "CMCD-Status"
HEADERS: tuple[str, ...] = (_OBJECT, _REQUEST, _SESSION, _STATUS)

_I, _D, _B, _S, _T = (
    ValueKind.INTEGER,
    ValueKind.DECIMAL,
    ValueKind.BOOLEAN,
    ValueKind.STRING,
    ValueKind.TOKEN,
)
KEYS: Mapping[str, KeySpec] = {
    spec.key: spec
    for spec in (
        KeySpec("br", "encoded_bitrate_kbps", _I, _OBJECT),
        KeySpec("bl", "buffer_length_ms", _I, _REQUEST, 100),
        KeySpec("bs", "buffer_starvation", _B, _STATUS),
        KeySpec("cid", "content_id", _S, _SESSION),
        KeySpec("d", "object_duration_ms", _I, _OBJECT),
        KeySpec("dl", "deadline_ms", _I, _REQUEST, 100),
        KeySpec("mtp", "measured_throughput_kbps", _I, _REQUEST, 100),
        KeySpec("nor", "next_object_request", _S, _REQUEST),
        KeySpec("nrr", "next_range_request", _S, _REQUEST),
        KeySpec("ot", "object_type", _T, _OBJECT),
        KeySpec("pr", "playback_rate", _D, _SESSION),
        KeySpec("rtp", "requested_max_throughput_kbps", _I, _STATUS, 100),
        KeySpec("sf", "streaming_format", _T, _SESSION),
        KeySpec("sid", "session_id", _S, _SESSION),
        KeySpec("st", "stream_type", _T, _SESSION),
        KeySpec("su", "startup", _B, _REQUEST),
        KeySpec("tb", "top_bitrate_kbps", _I, _OBJECT),
        KeySpec("v", "version", _I, _SESSION),
    )
}
_DEFAULTS: Mapping[str, object] = {"pr": 1.0, "v": 1}
_MAX_STRING = {"cid": 64, "sid": 64}
_URI_COMPONENT_SAFE = "-_.!~*'()"  # what JavaScript's encodeURIComponent leaves alone
_NRR = re.compile(r"\d*-\d*")


@dataclass(frozen=True)
class CmcdData:
    """The CMCD keys of one request; ``None`` (or ``False``) means "not sent"."""

    encoded_bitrate_kbps: int | None = None  # br
    buffer_length_ms: float | None = None  # bl
    buffer_starvation: bool = False  # bs
    content_id: str | None = None  # cid
    object_duration_ms: float | None = None  # d
    deadline_ms: float | None = None  # dl
    measured_throughput_kbps: float | None = None  # mtp
    next_object_request: str | None = None  # nor
    next_range_request: str | None = None  # nrr
    object_type: ObjectType | None = None  # ot
    playback_rate: float | None = None  # pr
    requested_max_throughput_kbps: float | None = None  # rtp
    streaming_format: StreamingFormat | None = None  # sf
    session_id: str | None = None  # sid
    stream_type: StreamType | None = None  # st
    startup: bool = False  # su
    top_bitrate_kbps: int | None = None  # tb
    version: int | None = None  # v

    def __post_init__(self) -> None:
        for spec in KEYS.values():
            value = getattr(self, spec.field)
            if value is None:
                continue
            if spec.kind in (ValueKind.INTEGER, ValueKind.DECIMAL):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise InvalidArgument("must be a number", argument=spec.field)
                if not math.isfinite(value) or value < 0:
                    raise InvalidArgument("must be finite and >= 0", argument=spec.field)
            elif spec.kind is ValueKind.BOOLEAN:
                if not isinstance(value, bool):
                    raise InvalidArgument("must be a bool", argument=spec.field)
            elif spec.kind is ValueKind.STRING:
                if not isinstance(value, str):
                    raise InvalidArgument("must be a string", argument=spec.field)
                limit = _MAX_STRING.get(spec.key)
                if limit is not None and len(value) > limit:
                    raise InvalidArgument(f"at most {limit} characters", argument=spec.field)
                if spec.key == "nrr" and not _NRR.fullmatch(value):
                    raise InvalidArgument("must be '<start>-<end>'", argument=spec.field)
            elif not isinstance(value, enum.Enum):
                raise InvalidArgument("must be a token enum member", argument=spec.field)

    def pairs(
        self, keys: Iterable[str] | None = None
    ) -> list[tuple[str, int | float | bool | str]]:
        """The keys to send as ``(key, wire value)`` sorted by key, after rounding/omission."""
        allowed = None if keys is None else frozenset(keys)
        out: list[tuple[str, int | float | bool | str]] = []
        for key in sorted(KEYS):
            if allowed is not None and key not in allowed:
                continue
            spec = KEYS[key]
            value = getattr(self, spec.field)
            if value is None or value is False:
                continue
            if spec.kind is ValueKind.INTEGER:
                step = spec.round_to or 1
                value = math.floor(value / step + 0.5) * step
            elif spec.kind is ValueKind.DECIMAL:
                value = float(value)
            elif spec.kind is ValueKind.TOKEN:
                value = value.value
            if _DEFAULTS.get(key) == value:
                continue
            out.append((key, value))
        return out


def _render(key: str, value: int | float | bool | str) -> str:
    kind = KEYS[key].kind
    if kind is ValueKind.BOOLEAN:
        return key
    if kind is ValueKind.STRING:
        escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
        return f'{key}="{escaped}"'
    if kind is ValueKind.DECIMAL:
        return f"{key}={float(value):.3f}".rstrip("0").rstrip(".")
    return f"{key}={value}"


def encode(data: CmcdData, keys: Iterable[str] | None = None) -> str:
    """The payload: ``key=value`` pairs, comma separated, sorted by key."""
    return ",".join(_render(k, v) for k, v in data.pairs(keys))


def to_query(data: CmcdData, keys: Iterable[str] | None = None) -> str:
    """``CMCD=<url-encoded payload>`` (empty string when nothing is sent)."""
    payload = encode(data, keys)
    return "CMCD=" + quote(payload, safe=_URI_COMPONENT_SAFE) if payload else ""


def to_headers(data: CmcdData, keys: Iterable[str] | None = None) -> dict[str, str]:
    """The four CMCD headers; a header with no keys is left out."""
    grouped: dict[str, list[str]] = {}
    for key, value in data.pairs(keys):
        grouped.setdefault(KEYS[key].header, []).append(_render(key, value))
    return {h: ",".join(grouped[h]) for h in HEADERS if h in grouped}


def append_to_url(url: str, data: CmcdData, keys: Iterable[str] | None = None) -> str:
    """The URL with the ``CMCD=`` argument added before any fragment."""
    query = to_query(data, keys)
    if not query:
        return url
    base, hash_, fragment = url.partition("#")
    sep = "&" if "?" in base else "?"
    if base.endswith(("?", "&")):
        sep = ""
    return f"{base}{sep}{query}{hash_}{fragment}"


def apply(
    url: str,
    data: CmcdData,
    *,
    mode: CmcdMode,
    keys: Iterable[str] | None = None,
) -> tuple[str, dict[str, str]]:
    """The request's URL and extra headers with CMCD added the configured way."""
    if mode is CmcdMode.QUERY:
        return append_to_url(url, data, keys), {}
    return url, to_headers(data, keys)


_PAIR = re.compile(r'([a-z]+)(?:=("(?:[^"\\]|\\.)*"|[^,"]*))?(?:,|$)')


def parse_payload(payload: str) -> dict[str, int | float | bool | str]:
    """Decode a header value, or a ``CMCD=...`` query argument (URL-encoded), into wire values."""
    text = unquote(payload[5:]) if payload.startswith("CMCD=") else payload
    out: dict[str, int | float | bool | str] = {}
    pos = 0
    while pos < len(text):
        match = _PAIR.match(text, pos)
        if match is None or match.end() == pos:
            raise InvalidArgument(f"malformed CMCD pair at offset {pos}", argument="payload")
        key, raw = match.group(1), match.group(2)
        pos = match.end()
        spec = KEYS.get(key)
        if spec is None:
            raise InvalidArgument(f"unknown CMCD key {key!r}", argument="payload")
        out[key] = _parse_value(spec, raw)
    return out


def _parse_value(spec: KeySpec, raw: str | None) -> int | float | bool | str:
    if spec.kind is ValueKind.BOOLEAN:
        if raw is None or raw == "true":
            return True
        if raw == "false":
            return False
        raise InvalidArgument(f"{spec.key} must be a boolean", argument="payload")
    if raw is None:
        raise InvalidArgument(f"{spec.key} needs a value", argument="payload")
    if spec.kind is ValueKind.STRING:
        if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"':
            raise InvalidArgument(f"{spec.key} must be a quoted string", argument="payload")
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    if spec.kind is ValueKind.TOKEN:
        if not re.fullmatch(r"[a-z]+", raw):
            raise InvalidArgument(f"{spec.key} must be a token", argument="payload")
        return raw
    try:
        return int(raw) if spec.kind is ValueKind.INTEGER else float(raw)
    except ValueError:
        raise InvalidArgument(f"{spec.key} must be a number", argument="payload") from None


def _check_fields_match_keys() -> None:
    names = {f.name for f in fields(CmcdData)}
    assert names == {spec.field for spec in KEYS.values()}, "CmcdData and KEYS disagree"


_check_fields_match_keys()
