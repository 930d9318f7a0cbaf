"""Discovery artwork over HTTP: poster_url in every title document, the PNG route, its
cache headers (ETag, 304), authentication, unknown titles and the artwork fault."""

from __future__ import annotations

import asyncio
import io
import struct

from PIL import Image

from fake_backend.discovery.service import artwork_path
from fake_backend.packager.poster import POSTER_SIZE, render_poster

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    w, h = struct.unpack(">II", data[16:24])
    return w, h


async def fetch(client, path: str, **headers: str):
    async with client.http.get(client.base + path, headers=dict(client.auth, **headers)) as r:
        return r.status, await r.read(), r


async def test_every_title_document_names_its_poster(backend, client):
    want = {t.id: f"/discovery/v1/titles/{t.id}/artwork" for t in backend.catalog}
    status, doc, _ = await client.get("/discovery/v1/titles")
    assert status == 200 and {t["id"]: t["poster_url"] for t in doc["items"]} == want
    status, home, _ = await client.get("/discovery/v1/home")
    assert status == 200
    items = [item for row in home["rows"] for item in row["items"]]
    assert items and all(item["poster_url"] == want[item["id"]] for item in items)
    t = backend.catalog[0]
    status, details, _ = await client.get(f"/discovery/v1/titles/{t.id}")
    assert status == 200 and details["poster_url"] == want[t.id]
    status, found, _ = await client.get("/discovery/v1/search", params={"q": "ocean"})
    assert status == 200 and found["results"]
    assert all(r["poster_url"] == want[r["id"]] for r in found["results"])
    assert artwork_path("a b/c") == "/discovery/v1/titles/a%20b%2Fc/artwork"


async def test_artwork_is_the_titles_png_with_cache_headers(backend, client):
    t = next(t for t in backend.catalog if t.id == "t-ocean")
    status, body, r = await fetch(client, f"/discovery/v1/titles/{t.id}/artwork")
    assert status == 200, body[:200]
    assert r.headers["Content-Type"] == "image/png"
    assert body == render_poster(t.id, t.name)  # the packager's poster for this title
    assert png_size(body) == POSTER_SIZE
    with Image.open(io.BytesIO(body)) as img:
        assert img.size == POSTER_SIZE
        top = img.convert("RGB").getpixel((5, 5))
    etag = r.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert "max-age=86400" in r.headers["Cache-Control"]
    assert r.headers["X-Request-Id"]
    # another title: another picture
    other = next(t for t in backend.catalog if t.id != "t-ocean")
    status, body2, r2 = await fetch(client, f"/discovery/v1/titles/{other.id}/artwork")
    assert status == 200 and body2 != body and r2.headers["ETag"] != etag
    with Image.open(io.BytesIO(body2)) as img:
        assert img.convert("RGB").getpixel((5, 5)) != top
    # revalidation: the held tag answers 304 without a body; a stale one gets the image
    status, empty, r3 = await fetch(
        client, f"/discovery/v1/titles/{t.id}/artwork", **{"If-None-Match": etag}
    )
    assert status == 304 and empty == b"" and r3.headers["ETag"] == etag
    status, again, _ = await fetch(
        client, f"/discovery/v1/titles/{t.id}/artwork", **{"If-None-Match": '"stale"'}
    )
    assert status == 200 and again == body


async def test_artwork_is_rendered_once_per_title(backend, client):
    t = backend.catalog[1]
    path = f"/discovery/v1/titles/{t.id}/artwork"
    results = await asyncio.gather(*(fetch(client, path) for _ in range(5)))
    bodies = {body for status, body, _ in results if status == 200}
    assert len(bodies) == 1 and all(status == 200 for status, _, _ in results)
    cached = backend.discovery._posters  # one entry per title, shared by every request
    assert [key for key in cached if key[0] == t.id] == [(t.id, t.name)]
    assert cached[(t.id, t.name)][0] == bodies.pop()


async def test_artwork_needs_a_token_and_a_known_title(backend, client, http, fb):
    t = backend.catalog[0]
    async with http.get(f"{backend.gateway_url}/discovery/v1/titles/{t.id}/artwork") as r:
        assert r.status == 401
        assert fb.error_of(await r.json())["code"] == 8110  # Unauthenticated
    async with http.get(
        f"{backend.gateway_url}/discovery/v1/titles/{t.id}/artwork",
        headers={"Authorization": "Bearer not-a-token"},
    ) as r:
        assert r.status == 401 and fb.error_of(await r.json())["code"] == 8111
    status, doc, _ = await client.get("/discovery/v1/titles/t-missing/artwork")
    assert status == 404 and fb.error_of(doc)["code"] == 8131


async def test_artwork_fault_fails_the_route_alone(backend, client, http, fb):
    url = f"{backend.control_url}/control/v1/services/artwork/faults"
    async with http.put(url, json={"error_rate": 1.0}) as r:
        assert r.status == 200, await r.text()
    t = backend.catalog[0]
    status, doc, _ = await client.get(f"/discovery/v1/titles/{t.id}/artwork")
    assert status == 503 and fb.error_of(doc)["code"] == 8160
    status, home, _ = await client.get("/discovery/v1/home")  # rows still served
    assert status == 200 and home["rows"]
    async with http.put(url, json={"error_rate": 0.0}) as r:
        assert r.status == 200
    status, body, _ = await fetch(client, f"/discovery/v1/titles/{t.id}/artwork")
    assert status == 200 and body[:8] == PNG_MAGIC
