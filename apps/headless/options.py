"""The play options: one schema for the ``play`` flags, the scenario ``play`` keys and the
report's echo of them.

Each field of :class:`PlayOptions` carries an :class:`Option` in its metadata: its flag, its
scenario key, the value types a scenario may give, and how a flag or key value becomes the
field's value. The parser (:func:`add_play_flags`), the scenario validator
(:func:`scenario_keys`) and the report (:func:`echo`) are all read off the fields, so a new
option is one field here. Values are validated once: :class:`PlayOptions` builds its
:class:`nrdp.PlayerConfig` when constructed, so an unknown ABR name, a bad ABR parameter or
an impossible buffer size fails as an :class:`OptionError` naming the option, before any
backend starts.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import nrdp

__all__ = [
    "TRACE_FORMATS",
    "NetworkOptions",
    "Option",
    "OptionError",
    "PlayOptions",
    "add_network_flags",
    "add_play_flags",
    "echo",
    "from_flags",
    "from_scenario",
    "network_from_flags",
    "network_from_scenario",
    "network_keys",
    "scenario_keys",
]

NUM: tuple[type, ...] = (int, float)


class OptionError(ValueError):
    """A play option has an impossible value; ``option`` names the field."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option
        self.message = message


@dataclass(frozen=True)
class Option:
    """How one play option appears on the command line, in scenario files and reports."""

    help: str
    flag: str | None = None
    key: str | None = None
    kinds: tuple[type, ...] = NUM
    """The value types a scenario key accepts (``bool`` is never a number)."""
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    parse: Callable[[Any], Any] | None = None
    """Flag or scenario value -> field value (None: the value as given)."""
    show: Callable[[Any], Any] | None = None
    """Field value -> the value the report echoes (None: the value as is)."""
    config_field: str | None = None
    """The :class:`nrdp.PlayerConfig` field (``ConfigError.field``) this option feeds."""
    repeat: bool = False
    """The flag may be given many times (values collected in a list)."""


def _opt(default: Any, *, factory: Callable[[], Any] | None = None, **meta: Any) -> Any:
    metadata = {"option": Option(**meta)}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def _abr_param(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` from ``--abr-param``; the value is JSON when it parses (numbers,
    booleans), else the text itself."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise OptionError("abr_params", f"--abr-param {text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def _abr_params(value: Any) -> Mapping[str, Any]:
    if isinstance(value, list):  # flags: ["k=v", ...]
        return dict(_abr_param(v) for v in value)
    return dict(value)


def _buffer(name: str) -> Any:
    return _opt(
        None,
        help=f"buffer {name.replace('_', ' ')} in seconds (nrdp.BufferConfig.{name})",
        flag=f"--buffer-{name.replace('_', '-')}",
        key=f"buffer_{name}",
        metavar="S",
        config_field=f"buffer.{name}",
    )


@dataclass(frozen=True)
class PlayOptions:
    """How one title is played: what, from where, for how long, with which ABR and buffer."""

    title: str | None = _opt(None, help="title id", key="title", kinds=(str,))
    start: float | None = _opt(
        None, help="start position in seconds", flag="--start", key="start", metavar="S"
    )
    duration: float | None = _opt(
        None,
        help="seconds of media to play (default: to the end)",
        flag="--duration",
        key="duration",
        metavar="S",
    )
    realtime: bool = _opt(
        True,
        help="realtime: present on the media clock; fast: as fast as possible",
        flag="--speed",
        key="speed",
        kinds=(str,),
        choices=("realtime", "fast"),
        parse=lambda v: v == "realtime",
        show=lambda v: "realtime" if v else "fast",
    )
    abr: str | None = _opt(
        None,
        help="ABR algorithm (abr registry name; default: the Play API's choice)",
        flag="--abr",
        key="abr",
        kinds=(str,),
        metavar="NAME",
        config_field="abr.algorithm",
    )
    abr_params: Mapping[str, Any] = _opt(
        None,
        factory=dict,
        help="an ABR parameter, e.g. --abr-param reservoir_s=8 (repeatable)",
        flag="--abr-param",
        key="abr_params",
        kinds=(dict,),
        metavar="KEY=VALUE",
        parse=_abr_params,
        show=dict,
        config_field="abr.params",
        repeat=True,
    )
    max_rung: int | None = _opt(
        None,
        help="cap the video rung",
        flag="--max-rung",
        key="max_rung",
        kinds=(int,),
        metavar="N",
    )
    buffer_start: float | None = _buffer("start")
    buffer_rebuffer: float | None = _buffer("rebuffer")
    buffer_target: float | None = _buffer("target")
    buffer_max_ahead: float | None = _buffer("max_ahead")
    timeout: float = _opt(
        600.0,
        help="wall seconds before an unfinished session is stopped",
        flag="--timeout",
        key="timeout",
        metavar="S",
    )
    decode: bool = _opt(True, help="False: download, decrypt and schedule, no PyAV")
    read_frame_ids: bool = _opt(True, help="read the test content's frame ids")
    source: nrdp.DashSource | None = _opt(  # noqa: RUF009 - a frozen value, None by default
        None, help="an open MPD played instead of the title (play --mpd); frames checked by pts"
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "abr_params", MappingProxyType(dict(self.abr_params)))
        for name in ("duration", "timeout"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise OptionError(name, f"{name} must be > 0")
        for name in ("start", "max_rung"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise OptionError(name, f"{name} must be >= 0")
        self.player_config()  # the SDK's own checks: ABR name and parameters, buffer sizes

    def buffer_config(self) -> nrdp.BufferConfig:
        """The SDK's buffer defaults with the sizes given here."""
        given = {
            name: getattr(self, f"buffer_{name}")
            for name in ("start", "rebuffer", "target", "max_ahead")
            if getattr(self, f"buffer_{name}") is not None
        }
        return replace(nrdp.BufferConfig(), **given)

    def player_config(self) -> nrdp.PlayerConfig:
        """The :class:`nrdp.PlayerConfig` these options ask for (raises :class:`OptionError`)."""
        try:
            return nrdp.PlayerConfig(
                realtime=self.realtime,
                decode=self.decode,
                buffer=self.buffer_config(),
                abr=nrdp.AbrConfig(algorithm=self.abr or "default", params=self.abr_params),
            )
        except nrdp.ConfigError as exc:
            raise OptionError(_field_of_config(exc.field), str(exc)) from None


def _options(schema: type = PlayOptions) -> list[tuple[str, Option]]:
    return [(f.name, f.metadata["option"]) for f in fields(schema)]


def _field_of_config(config_field: str) -> str:
    for name, opt in _options():
        if opt.config_field == config_field:
            return name
    return config_field


def flag_of(name: str) -> str:
    """The flag of field ``name`` (for messages), or its name when it has none."""
    return dict(_options())[name].flag or name


def key_of(name: str) -> str:
    """The scenario key of field ``name``, or its name when it has none."""
    return dict(_options())[name].key or name


_FLAG_TYPES: dict[tuple[type, ...], type] = {(int,): int, (str,): str, NUM: float}


def add_play_flags(parser: argparse.ArgumentParser, only: Collection[str] | None = None) -> None:
    """Add every option that has a flag (or those of the fields named in ``only``); values
    stay None unless given (see from_flags)."""
    for name, opt in _options():
        if opt.flag is None or (only is not None and name not in only):
            continue
        kind: Any = _FLAG_TYPES.get(opt.kinds, float) if not (opt.choices or opt.repeat) else None
        parser.add_argument(
            opt.flag,
            dest=f"opt_{name}",
            type=kind,
            choices=opt.choices,
            metavar=opt.metavar,
            help=opt.help,
            action="append" if opt.repeat else "store",
            default=None,
        )


def _build(values: Mapping[str, Any]) -> PlayOptions:
    try:
        return PlayOptions(**values)
    except TypeError as exc:  # a value of the wrong type reached a comparison
        raise OptionError("", f"bad option value: {exc}") from None


def from_flags(args: argparse.Namespace, **given: Any) -> PlayOptions:
    """Options from parsed flags (:func:`add_play_flags`); ``given`` fills the fields no
    flag set (the title, the command's own defaults)."""
    values: dict[str, Any] = {}
    for name, opt in _options():
        raw = getattr(args, f"opt_{name}", None)
        if raw is not None:
            values[name] = opt.parse(raw) if opt.parse else raw
    return _build({**values, **{k: v for k, v in given.items() if k not in values}})


def scenario_keys() -> dict[str, Option]:
    """Scenario ``play`` key -> its option (``title`` is required, the rest optional)."""
    return {opt.key: opt for _, opt in _options() if opt.key is not None}


def from_scenario(args: Mapping[str, Any], **defaults: Any) -> PlayOptions:
    """Options from a scenario ``play`` step's arguments (other keys are ignored)."""
    values = dict(defaults)
    for name, opt in _options():
        if opt.key is not None and opt.key in args:
            raw = args[opt.key]
            values[name] = opt.parse(raw) if opt.parse else raw
    return _build(values)


def echo(options: PlayOptions) -> dict[str, Any]:
    """The options under their scenario keys (the report's ``options``); ``None`` is an
    option left unset. Without the ``None`` entries it is a valid scenario ``play`` step."""
    out: dict[str, Any] = {}
    for name, opt in _options():
        if opt.key is None:
            continue
        value = getattr(options, name)
        out[opt.key] = opt.show(value) if opt.show else value
    return out


# ---------------------------------------------------------------------- network

TRACE_FORMATS = ("kbps", "cooked", "mahimahi")
MAX_RTT_MS = 10_000.0
"""An RTT beyond this is a typo, not a network (the relay would hold ~10 s of packets)."""


def _path(value: Any) -> Path:
    return value if isinstance(value, Path) else Path(str(value))


@dataclass(frozen=True)
class NetworkOptions:
    """The emulated link a playback runs behind (``--netem`` flags, a scenario's ``network``
    key; docs/contest.md "Network emulation"): a throughput trace shaping the downlink and
    an RTT. ``trace`` is resolved (a scenario's relative path against its file's folder)
    and parsed when the options are built, so a bad file fails before any link exists."""

    trace: Path = field(
        metadata={
            "option": Option(
                help="play in a network namespace behind a tc-shaped link following TRACE (root)",
                flag="--netem",
                key="trace",
                kinds=(str,),
                metavar="TRACE",
                parse=_path,
                show=str,
            )
        }
    )
    rtt_ms: float = _opt(
        0.0,
        help="the emulated link's round-trip time (--netem)",
        flag="--rtt",
        key="rtt_ms",
        metavar="MS",
    )
    trace_format: str | None = _opt(
        None,
        help="format of the trace files (guessed when not given)",
        flag="--trace-format",
        key="trace_format",
        kinds=(str,),
        choices=TRACE_FORMATS,
    )

    def __post_init__(self) -> None:
        if not isinstance(self.rtt_ms, int | float) or isinstance(self.rtt_ms, bool):
            raise OptionError("rtt_ms", "rtt_ms must be a number")
        if not (math.isfinite(self.rtt_ms) and 0 <= self.rtt_ms <= MAX_RTT_MS):
            raise OptionError("rtt_ms", f"rtt_ms must be within 0..{MAX_RTT_MS:.0f} ms")
        if self.trace_format is not None and self.trace_format not in TRACE_FORMATS:
            raise OptionError("trace_format", f"trace_format must be one of {TRACE_FORMATS}")
        self.load_trace()  # a missing or malformed trace fails here, naming the file

    def load_trace(self) -> Any:
        """The parsed trace (``abr.sim.Trace``); a bad file is an OptionError on ``trace``."""
        from abr import TraceFormatError
        from apps.headless.backend import UsageError
        from apps.headless.faults import load_trace

        try:
            return load_trace(self.trace, self.trace_format)
        except UsageError as exc:
            raise OptionError("trace", str(exc)) from None
        except TraceFormatError as exc:
            raise OptionError("trace", f"trace {self.trace}: {exc}") from None

    def echo(self) -> dict[str, Any]:
        """Under the scenario keys: what a report says about the link it ran behind."""
        return {
            opt.key: opt.show(getattr(self, n)) if opt.show else getattr(self, n)
            for n, opt in _options(NetworkOptions)
            if opt.key
        }


def add_network_flags(parser: argparse.ArgumentParser) -> None:
    """``--netem TRACE``, ``--rtt MS``, ``--trace-format F`` (dests ``netem``, ``rtt``,
    ``trace_format``); ``--trace-format`` also names the format of ``play --trace``."""
    dests = {"trace": "netem", "rtt_ms": "rtt", "trace_format": "trace_format"}
    for name, opt in _options(NetworkOptions):
        assert opt.flag is not None
        kind: Any = float if opt.kinds == NUM else (Path if name == "trace" else None)
        parser.add_argument(
            opt.flag,
            dest=dests[name],
            type=kind,
            choices=opt.choices,
            metavar=opt.metavar,
            help=opt.help,
            default=0.0 if name == "rtt_ms" else None,
        )


def network_from_flags(args: argparse.Namespace) -> NetworkOptions | None:
    """The link ``--netem`` asks for (None without it); raises :class:`OptionError`."""
    if getattr(args, "netem", None) is None:
        return None
    return NetworkOptions(trace=args.netem, rtt_ms=args.rtt, trace_format=args.trace_format)


def network_keys() -> dict[str, Option]:
    """Scenario ``network`` key -> its option (``trace`` is required)."""
    return {opt.key: opt for _, opt in _options(NetworkOptions) if opt.key is not None}


def network_from_scenario(args: Mapping[str, Any], base: Path) -> NetworkOptions:
    """A scenario's ``network`` mapping; a relative trace path is against ``base``."""
    values: dict[str, Any] = {}
    for name, opt in _options(NetworkOptions):
        if opt.key is not None and opt.key in args:
            raw = args[opt.key]
            values[name] = opt.parse(raw) if opt.parse else raw
    if "trace" not in values:
        raise OptionError("trace", "network: missing required key 'trace'")
    values["trace"] = (base / values["trace"]).resolve()
    try:
        return NetworkOptions(**values)
    except TypeError as exc:
        raise OptionError("", f"bad network value: {exc}") from None
