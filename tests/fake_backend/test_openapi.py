"""docs/openapi.yaml describes every JSON route the gateway and control plane serve."""

from __future__ import annotations

from pathlib import Path

import yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


def _routes(app):
    out = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if route.method in ("HEAD",) or path is None:
            continue
        out.add((route.method.lower(), path))
    return out


async def test_every_route_documented(backend):
    doc = yaml.safe_load(DOC.read_text())
    assert doc["openapi"].startswith("3.")
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops if m != "parameters"}
    served = _routes(backend.gateway.app) | _routes(backend.control.app)
    missing = served - documented
    assert not missing, f"undocumented routes: {sorted(missing)}"
    stale = documented - served
    assert not stale, f"documented but not served: {sorted(stale)}"


def test_error_schema_matches_renderer():
    doc = yaml.safe_load(DOC.read_text())
    err = doc["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(err["required"]) == {"code", "name", "message", "request_id"}
