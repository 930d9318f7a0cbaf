"""Lone surrogates and odd Unicode in JSON strings are refused or stored, never a 500."""

from __future__ import annotations

BAD = '"a\\ud800b"'  # a JSON string whose escape decodes to a lone surrogate


def _body(template: str) -> str:
    return template.replace("@", BAD)


async def test_lone_surrogates_never_500(backend, http, client):
    signup = '{"email": "xa\\ud800b@example.com", "password": BAD, "plan": "basic"}'
    signup = signup.replace("BAD", BAD)
    cases = [
        ("POST", "/auth/v1/profiles", _body('{"name": @}'), client.auth),
        ("POST", "/auth/v1/login", _body('{"email": @, "password": @}'), {}),
        ("POST", "/signup/v1/accounts", signup, {}),
        (
            "POST",
            "/telemetry/v1/events",
            _body('{"events": [{"type": "x", "ts": 1, "playback_id": @, "data": {"k": @}}]}'),
            client.auth,
        ),
        (
            "PUT",
            "/discovery/v1/bookmarks/t-ocean",
            _body('{"position_s": 1, "profile_id": @}'),
            client.auth,
        ),
    ]
    for method, path, body, headers in cases:
        async with http.request(
            method, backend.gateway_url + path, data=body.encode(), headers=headers
        ) as r:
            assert r.status < 500, (path, r.status, await r.text())
    async with http.get(
        backend.gateway_url + "/discovery/v1/search",
        params={"q": "\u00e9t\u00e9 \U0001f600"},
        headers=client.auth,
    ) as r:
        assert r.status == 200


async def test_percent_encoded_surrogates_in_query_and_path(backend, http, client):
    from yarl import URL

    url = URL(backend.gateway_url + "/discovery/v1/search?q=%ED%A0%80x", encoded=True)
    async with http.get(url, headers=client.auth) as r:
        assert r.status < 500
    url = URL(backend.gateway_url + "/discovery/v1/home?profile_id=%ED%A0%80", encoded=True)
    async with http.get(url, headers=client.auth) as r:
        assert r.status < 500
    oca = backend.oca_urls[0]
    for raw in (
        "/titles/t-ocean/%ED%A0%80",
        "/titles/t-ocean/v240/%FF%FE.m4s",
        "/titles/%ED%A0%80/x",
    ):
        async with http.get(URL(oca + raw, encoded=True)) as r:
            assert r.status in (403, 404), (raw, r.status)
