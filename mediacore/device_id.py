"""The device id rule, one for both sides: the SDK refuses what the gateway would refuse.

A device id names a device to the backend (sessions, rate limits, fault plans, telemetry):
16 to 64 characters of ``[A-Za-z0-9_-]`` (URL- and header-safe without escaping, long enough
to be unguessable when random). ``nrdp.DeviceConfig`` and the gateway's login both check it
with :func:`is_valid_device_id`.
"""

from __future__ import annotations

import re

__all__ = ["DEVICE_ID_RULE", "is_valid_device_id"]

DEVICE_ID_RULE = "16-64 characters of [A-Za-z0-9_-]"
_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def is_valid_device_id(device_id: object) -> bool:
    return isinstance(device_id, str) and _DEVICE_ID.fullmatch(device_id) is not None
