"""ContentProtection elements -> ContentProtection values, tolerant of malformed DRM data.

A bad ``default_KID`` or undecodable ``pssh`` is reported as a warning and dropped from that
entry; the rest of the manifest is unaffected.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from manifest._paths import ElementPath, path_str
from manifest._xml import local_name
from manifest.diagnostics import ManifestWarning, WarningKind
from manifest.model import ContentProtection

__all__ = ["CLEARKEY_SYSTEM_ID", "W3C_COMMON_SYSTEM_ID", "parse_content_protection"]

CLEARKEY_SYSTEM_ID = "e2719d58-a985-b3c9-781a-b030af78d30e"
W3C_COMMON_SYSTEM_ID = "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_LICENSE_TAGS = {"laurl", "la_url", "licenseacquisitionurl"}
_LICENSE_ATTRS = {"licenseurl", "laurl", "licenseacquisitionurl"}


def canonical_uuid(text: str) -> str | None:
    """``31323334-3536-...`` in lower case, or None if ``text`` is not a UUID."""
    t = text.strip()
    if not _UUID.fullmatch(t):
        return None
    h = t.replace("-", "").lower()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def parse_content_protection(
    el: Any, where: ElementPath, warnings: list[ManifestWarning]
) -> ContentProtection:
    """One ContentProtection element; ``where`` is its element path (rendered on demand)."""
    scheme = (el.get("schemeIdUri") or "").strip()
    line = el.sourceline
    if not scheme:
        warnings.append(
            ManifestWarning(
                WarningKind.MISSING_ATTRIBUTE, path_str(where), "@schemeIdUri missing", line
            )
        )
    default_kid: str | None = None
    robustness = el.get("robustness")
    ref_id = el.get("refId")
    license_urls: list[str] = []
    for key, value in el.attrib.items():
        name = local_name(key)
        low = name.lower()
        if low == "default_kid":
            # Several KIDs may be listed separated by spaces; the first is the default.
            first = value.split()[0] if value.split() else ""
            default_kid = canonical_uuid(first)
            if default_kid is None:
                warnings.append(
                    ManifestWarning(
                        WarningKind.MALFORMED_PROTECTION,
                        path_str(where),
                        f"bad default_KID {value!r}",
                        line,
                    )
                )
        elif low in _LICENSE_ATTRS and value.strip():
            license_urls.append(value.strip())
    pssh: bytes | None = None
    for child in el.iter() if len(el) else ():
        if child is el or not isinstance(child.tag, str):
            continue
        name = local_name(child.tag)
        low = name.lower()
        text = (child.text or "").strip()
        if low == "pssh" and text:
            try:
                pssh = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                warnings.append(
                    ManifestWarning(
                        WarningKind.MALFORMED_PROTECTION,
                        path_str(where),
                        "cenc:pssh is not base64",
                        child.sourceline,
                    )
                )
        elif low in _LICENSE_TAGS:
            url = text or (child.get("licenseUrl") or "").strip()
            if url:
                license_urls.append(url)
    return ContentProtection(
        scheme_id_uri=scheme,
        value=el.get("value"),
        default_kid=default_kid,
        pssh=pssh,
        license_urls=tuple(dict.fromkeys(license_urls)),
        robustness=robustness,
        ref_id=ref_id,
    )
