"""A JSON-ready summary of a Manifest: what ``python -m manifest inspect`` prints.

The shape is documented in docs/manifest.md; keep the two in step.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from manifest.errors import ManifestError
from manifest.isotime import format_datetime
from manifest.model import ContentProtection, Manifest, Representation, SegmentRef

__all__ = ["summarize"]


def _num(x: float | None) -> float | str | None:
    if x is None:
        return None
    return "INF" if math.isinf(x) else round(x, 6)


def _dt(x: datetime | None) -> str | None:
    return format_datetime(x) if x is not None else None


def _segment(ref: SegmentRef) -> dict[str, Any]:
    return {
        "number": ref.number,
        "start": _num(ref.start),
        "duration": _num(ref.duration),
        "url": ref.url,
        "byte_range": str(ref.byte_range) if ref.byte_range else None,
    }


def _protection(c: ContentProtection) -> dict[str, Any]:
    return {
        "scheme_id_uri": c.scheme_id_uri,
        "value": c.value,
        "scheme": c.scheme,
        "default_kid": c.default_kid,
        "system_id": c.system_id,
        "license_url": c.license_url,
        "pssh_bytes": len(c.pssh) if c.pssh is not None else None,
    }


def _representation(rep: Representation, now: datetime | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rep.id,
        "bandwidth": rep.bandwidth,
        "codecs": rep.codecs,
        "mime_type": rep.mime_type,
        "width": rep.width,
        "height": rep.height,
        "frame_rate": rep.frame_rate,
        "addressing": type(rep.addressing).__name__ if rep.addressing else None,
        "segment_count": None,
        "total_duration": None,
        "addressing_error": None,
        "init": None,
        "first_segments": [],
        "last_segment": None,
        "base_url_candidates": [
            {
                "url": c.url,
                "service_location": c.service_location,
                "priority": c.priority,
                "weight": c.weight,
            }
            for c in rep.base_url_candidates
        ],
        "content_protection": [_protection(c) for c in rep.content_protection],
    }
    try:
        init = rep.init_segment()
        if init is not None:
            out["init"] = {
                "url": init.url,
                "byte_range": str(init.byte_range) if init.byte_range else None,
            }
        index = rep.index(now)
        count = len(index)
        out["segment_count"] = count
        if count:
            out["first_segments"] = [_segment(index[i]) for i in range(min(3, count))]
            last = index[count - 1]
            out["last_segment"] = _segment(last)
            out["total_duration"] = _num(last.end - index[0].start)
    except ManifestError as exc:
        out["addressing_error"] = exc.to_dict()
    return out


def summarize(m: Manifest, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything a human or script needs to see about ``m``, as plain JSON types."""
    return {
        "url": m.url,
        "type": m.type,
        "profiles": m.profiles,
        "media_presentation_duration": _num(m.media_presentation_duration),
        "min_buffer_time": _num(m.min_buffer_time),
        "availability_start_time": _dt(m.availability_start_time),
        "publish_time": _dt(m.publish_time),
        "time_shift_buffer_depth": _num(m.time_shift_buffer_depth),
        "suggested_presentation_delay": _num(m.suggested_presentation_delay),
        "minimum_update_period": _num(m.minimum_update_period),
        "locations": list(m.locations),
        "utc_timings": [
            {"scheme_id_uri": u.scheme_id_uri, "value": u.value} for u in m.utc_timings
        ],
        "warnings": [
            {"kind": w.kind.value, "path": w.path, "line": w.line, "detail": w.detail}
            for w in m.warnings
        ],
        "periods": [
            {
                "id": p.id,
                "start": _num(p.start_time),
                "duration": _num(p.effective_duration),
                "xlink_href": p.xlink_href,
                "event_streams": [
                    {"scheme_id_uri": s.scheme_id_uri, "value": s.value, "events": len(s.events)}
                    for s in p.event_streams
                ],
                "adaptation_sets": [
                    {
                        "id": a.id,
                        "content_type": a.kind,
                        "mime_type": a.mime_type,
                        "lang": a.lang,
                        "codecs": a.codecs,
                        "roles": [r.value for r in a.roles],
                        "labels": [lb.text for lb in a.labels],
                        "xlink_href": a.xlink_href,
                        "content_protection": [_protection(c) for c in a.content_protection],
                        "representations": [_representation(r, now) for r in a.representations],
                    }
                    for a in p.adaptation_sets
                ],
            }
            for p in m.periods
        ],
    }
