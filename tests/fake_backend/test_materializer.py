"""PackagerMaterializer in the content store and behind the real services.

The end-to-end test runs the whole backend on 127.0.0.1 with the tiny catalog packaged for
real: Play API -> MPD from an OCA -> ClearKey license over HTTP -> decrypt -> decode.
"""

from __future__ import annotations

import io

import av
import pytest

from drm import KeyStore, decrypt_init, decrypt_segment
from drm.clearkey import CLEARKEY_SYSTEM_ID, build_license_request, parse_license_response
from fake_backend.catalog import CatalogTitle, derive_keys
from fake_backend.content import COMPLETE_MARKER, ContentStore, Materializer
from fake_backend.packager import PackagerMaterializer, read_frame_id
from fake_backend.packager.catalog_specs import catalog_titles
from fake_backend.packager.package import MPD_NAME
from fake_backend.packager.package_errors import MissingContentKey
from manifest import parse_mpd
from manifest.protection import CLEARKEY_SYSTEM_ID as DASHIF_CLEARKEY_SYSTEM_ID

SECRET = b"s" * 32


def _rows() -> dict[str, CatalogTitle]:
    return {t.id: t for t in catalog_titles("tiny")}


def test_fits_the_content_store_seam(tmp_path):
    urls: list[str] = []

    def license_url() -> str:
        urls.append("asked")
        return "http://127.0.0.1:1/license/v1/clearkey"

    mat = PackagerMaterializer(license_url=license_url, posters=False)
    as_protocol: Materializer = mat  # mypy checks the structural fit
    assert callable(as_protocol.materialize)
    store = ContentStore(tmp_path / "titles", mat)
    heist = _rows()["t-heist"]
    dest = store.ensure(heist, derive_keys(SECRET, heist))
    assert store.is_ready("t-heist") and (dest / COMPLETE_MARKER).exists()
    files = set(store.files("t-heist"))
    assert {MPD_NAME, "v240/init.mp4", "v360/seg-2.m4s", "a128/seg-1.m4s"} <= files
    assert urls == ["asked"]  # the URL is resolved when the title is packaged
    m = parse_mpd((dest / MPD_NAME).read_bytes(), "http://x/titles/t-heist/manifest.mpd")
    video = m.periods[0].adaptation_sets[0]
    assert [r.id for r in video.representations] == ["v240", "v360"]
    assert {c.scheme for c in video.content_protection if c.is_mp4protection} == {"cbcs"}
    assert mat.packaged["t-heist"].kids["video"] == heist.kid_for("video")


def test_keys_from_the_store_decrypt_what_was_written(tmp_path):
    ocean = _rows()["t-ocean"]
    keys = derive_keys(SECRET, ocean)
    dest = tmp_path / "t-ocean"
    dest.mkdir()
    PackagerMaterializer(posters=False).materialize(ocean, keys, dest)
    init, prot = decrypt_init((dest / "v360/init.mp4").read_bytes())
    seg = decrypt_segment((dest / "v360/seg-2.m4s").read_bytes(), prot, KeyStore(keys))
    with av.open(io.BytesIO(bytes(init) + bytes(seg)), "r") as c:
        ids = [read_frame_id(f) for f in c.decode(video=0)]
    assert ids == list(range(48, 96))


def test_missing_keys_fail_typed_and_leave_nothing_ready(tmp_path):
    store = ContentStore(tmp_path / "titles", PackagerMaterializer(posters=False))
    heist = _rows()["t-heist"]
    with pytest.raises(MissingContentKey):
        store.ensure(heist, {})
    assert not store.is_ready("t-heist")


async def test_packaged_tiny_title_plays_through_the_services(make_backend, http, fb):
    rows = _rows()
    be = await make_backend(
        catalog=[rows["t-ocean"], rows["t-detect"]],
        materializer=PackagerMaterializer(posters=False),
    )
    client = await fb.login_as(http, be)
    status, pb = await client.play("t-ocean")
    assert status == 200, pb
    async with http.get(pb["manifest"]["mpd_url"]) as r:
        assert r.status == 200
        mpd = parse_mpd(await r.read(), pb["manifest"]["mpd_url"])
    sets = mpd.periods[0].adaptation_sets
    video = next(a for a in sets if a.kind == "video")
    assert [a.lang for a in sets if a.kind == "audio"] == ["en", "es"]
    kid = next(c.default_kid_bytes for c in video.content_protection if c.is_mp4protection)
    assert kid is not None and kid.hex() == pb["drm"]["default_kid"]["video"]
    assert pb["drm"]["system_id"] == CLEARKEY_SYSTEM_ID
    ck = next(c for c in video.content_protection if c.system_id == DASHIF_CLEARKEY_SYSTEM_ID)
    assert ck.pssh is None and ck.value == "ClearKey1.0"
    body = build_license_request([kid])
    status, _, _, raw = await client.signed(
        "/license/v1/clearkey", body, extra=pb["license"]["headers"]
    )
    assert status == 200
    keys = parse_license_response(raw)
    rep = video.representations[-1]
    init_ref = rep.init_segment()
    assert init_ref is not None
    async with http.get(init_ref.url) as r:
        init, prot = decrypt_init(await r.read())
    data = bytes(init)
    for ref in rep.segments():
        async with http.get(ref.url) as r:
            assert r.status == 200
            data += bytes(decrypt_segment(await r.read(), prot, keys))
    with av.open(io.BytesIO(data), "r") as c:
        ids = [read_frame_id(f) for f in c.decode(video=0)]
    assert ids == list(range(96))
    # The clear title is served without any protection.
    status, pb2 = await client.play("t-detect")
    assert status == 200
    async with http.get(pb2["manifest"]["mpd_url"]) as r:
        clear = parse_mpd(await r.read(), pb2["manifest"]["mpd_url"])
    assert all(a.content_protection == () for a in clear.periods[0].adaptation_sets)
