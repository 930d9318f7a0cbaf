"""The packager seam end to end: encode -> encrypt -> MPD at the origin, then play API ->
MPD from an OCA -> license over HTTP -> decrypt -> decode, all through the real services."""

from __future__ import annotations

import json

import av

from drm.cenc import decrypt
from drm.clearkey import build_license_request, parse_license_response
from fake_backend.catalog import AUDIO_RUNG, CatalogTitle, Rendition
from fake_backend.oca.fleet import place
from fake_backend.packaged import PackagerMaterializer, title_spec
from manifest import parse_mpd

TITLE = CatalogTitle(
    id="t-real",
    name="Real Media",
    synopsis="Encoded by the media factory.",
    genres=("test",),
    year=2026,
    duration_s=2.0,
    maturity="G",
    renditions=(Rendition("v240", "video", 300, 426, 240), AUDIO_RUNG),
    segment_duration_s=1.0,
    kids=(b"\x01" * 16, b"\x02" * 16),
)


def test_title_spec_mirrors_catalog():
    spec = title_spec(TITLE)
    assert [r.id for r in spec.rungs] == ["v240"]
    assert spec.audio_id == AUDIO_RUNG.id and spec.segment_count == 2


def _frames(tmp_path, data: bytes) -> int:
    path = tmp_path / "joined.mp4"
    path.write_bytes(data)
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


async def test_clear_media_served_by_oca(make_backend, http, tmp_path):
    mat = PackagerMaterializer(fps=10, encrypt=None, write_mpd=None)
    be = await make_backend(catalog=[TITLE], materializer=mat)
    files = set(be.origin.files(TITLE.id))
    assert {"v240/init.mp4", "v240/seg-1.m4s", "v240/seg-2.m4s", "a128/init.mp4"} <= files
    assert "manifest.mpd" not in files
    holder = place(TITLE.id, [n.id for n in be.fleet.nodes], be.config.replicas)[0]
    url = be.fleet.node(holder).url + f"/titles/{TITLE.id}/v240"
    data = b""
    for name in ("init.mp4", "seg-1.m4s", "seg-2.m4s"):
        async with http.get(f"{url}/{name}") as r:
            assert r.status == 200
            data += await r.read()
    assert _frames(tmp_path, data) == 20  # 2 s at 10 fps


async def test_encrypted_title_plays_end_to_end(make_backend, http, tmp_path, fb):
    be = await make_backend(catalog=[TITLE], materializer=PackagerMaterializer(fps=10))
    client = await fb.login_as(http, be)
    status, pb = await client.play(TITLE.id)
    assert status == 200, pb
    async with http.get(pb["manifest"]["mpd_url"]) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "application/dash+xml"
        mpd = parse_mpd(await r.read(), pb["manifest"]["mpd_url"])
    sets = {a.content_type: a for a in mpd.periods[0].adaptation_sets}
    video = sets["video"].representations[0]
    assert video.id == "v240" and video.height == 240
    assert {cp.default_kid for cp in sets["video"].content_protection if cp.default_kid} == {
        "01010101-0101-0101-0101-010101010101"
    }
    body = build_license_request([bytes.fromhex(k) for k in pb["drm"]["kids"]])
    status, _, _, raw = await client.signed(
        "/license/v1/clearkey", body, extra=pb["license"]["headers"]
    )
    assert status == 200
    keys = parse_license_response(raw)
    data = b""
    urls = [video.init_segment().url] + [s.url for s in video.segments()]
    assert len(urls) == 3
    for url in urls:
        async with http.get(url) as r:
            assert r.status == 200
            data += await r.read()
    assert b"encv" in data[:2000] and b"senc" in data  # really protected on the wire
    clear = decrypt(data, keys)
    assert _frames(tmp_path, bytes(clear)) == 20
    info = json.loads(be.origin.file_path(TITLE.id, "title.json").read_text())
    assert [r["id"] for r in info["renditions"]] == ["v240", "a128"]
