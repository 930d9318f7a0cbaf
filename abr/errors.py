"""Errors of the ``abr`` package (codes 9001-9999): traces, videos, algorithms, settings."""

from __future__ import annotations

from mediacore.errors import AbrError

__all__ = [
    "AlgorithmConfigError",
    "InvalidObservationError",
    "SimulatorConfigError",
    "TraceFormatError",
    "UnknownAlgorithmError",
    "VideoFormatError",
]


class TraceFormatError(AbrError):
    """A throughput trace could not be parsed; ``line`` is 1-based (0 = whole file)."""

    code = 9001

    def __init__(self, message: str, *, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.source = source
        self.line = line
        self.reason = reason


class VideoFormatError(AbrError):
    """A video description (ladder plus per-segment sizes) is malformed."""

    code = 9002

    def __init__(self, message: str, *, source: str, field: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.field = field


class UnknownAlgorithmError(AbrError):
    """The registry has no algorithm by this name."""

    code = 9003

    def __init__(self, name: str, *, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown ABR algorithm {name!r}; known: {', '.join(known)}")
        self.name = name
        self.known = known


class AlgorithmConfigError(AbrError):
    """An algorithm or estimator was given an invalid or unknown parameter."""

    code = 9004

    def __init__(self, message: str, *, algorithm: str, parameter: str) -> None:
        super().__init__(f"{algorithm}: {message}")
        self.algorithm = algorithm
        self.parameter = parameter


class InvalidObservationError(AbrError):
    """An observation is inconsistent (for example an empty ladder)."""

    code = 9005

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class SimulatorConfigError(AbrError):
    """Simulator settings are out of range (negative latency, payload fraction above 1...)."""

    code = 9006

    def __init__(self, message: str, *, setting: str) -> None:
        super().__init__(message)
        self.setting = setting
