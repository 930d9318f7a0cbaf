"""Locations from an MPD's BaseURLs (alone, or after the Play API's ranked OCAs), segment
paths every location can serve, and open-source values."""

from __future__ import annotations

import pytest

from manifest import parse_mpd
from nrdp.delivery.oca import Oca, OcaSource
from nrdp.errors import InvalidArgument
from nrdp.opening import locate_in, locations_for, root_of
from nrdp.source import ClearKey, DashSource, parse_key_arg

MPD = """<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"
  xmlns:dvb="urn:dvb:dash:dash-extensions:2014-1" type="static"
  mediaPresentationDuration="PT4S" minBufferTime="PT2S"
  profiles="urn:mpeg:dash:profile:isoff-live:2011">
  {bases}
  <Period><AdaptationSet mimeType="video/mp4">
    <Representation id="v1" bandwidth="100000" codecs="avc1.64001e" width="320" height="240">
      <BaseURL>v1/</BaseURL>
      <SegmentTemplate media="$Number$.m4s" initialization="init.mp4" duration="2"/>
    </Representation>
  </AdaptationSet></Period>
</MPD>"""

BASES = (
    '<BaseURL serviceLocation="b" dvb:priority="2">http://cdn-b.test/t/</BaseURL>'
    '<BaseURL serviceLocation="a" dvb:priority="1">http://cdn-a.test/t/</BaseURL>'
)


def test_base_urls_are_ranked_locations_and_paths_stay_relative() -> None:
    manifest = parse_mpd(MPD.format(bases=BASES).encode(), "http://origin.test/t/m.mpd")
    locations = locations_for(manifest, "http://origin.test/t/m.mpd")
    assert [(o.id, o.rank, o.source) for o in locations] == [
        ("a", 1, OcaSource.MANIFEST),
        ("b", 2, OcaSource.MANIFEST),
    ]
    rep = manifest.periods[0].adaptation_sets[0].representations[0]
    locate = locate_in(root_of(locations[0]))
    path = locate(rep, rep.index().by_number(1).path)
    assert path == "v1/1.m4s"
    assert [o.url_for(path) for o in locations] == [
        "http://cdn-a.test/t/v1/1.m4s",
        "http://cdn-b.test/t/v1/1.m4s",
    ]


def test_without_base_urls_the_mpd_directory_serves_and_ocas_come_first() -> None:
    url = "http://oca-1.test/t/m.mpd"
    plain = parse_mpd(MPD.format(bases="").encode(), url)
    assert [o.url for o in locations_for(plain, url)] == [url]
    ocas = [Oca("oca-1", "http://oca-1.test/t", rank=1), Oca("oca-2", "http://oca-2.test/t")]
    assert locations_for(plain, url, ocas) == ocas  # nothing to add
    named = parse_mpd(MPD.format(bases=BASES).encode(), url)
    merged = locations_for(named, url, ocas)
    assert [o.id for o in merged] == ["oca-1", "oca-2", "a", "b"]
    assert min(o.rank for o in merged[2:]) > max(o.rank for o in ocas)


def test_keys_and_sources_are_checked_and_kept_out_of_reprs() -> None:
    kid, key = parse_key_arg("00112233-4455-6677-8899-aabbccddeeff:" + "ab" * 16)
    assert kid == bytes.fromhex("00112233445566778899aabbccddeeff") and key == b"\xab" * 16
    drm = ClearKey(keys={kid: key})
    assert "ab" * 16 not in repr(drm) and drm.keys[kid].reveal() == key
    source = DashSource("http://h.test/x.mpd?token=s3cret", drm=drm, headers={"X-T": "s3cret"})
    assert "s3cret" not in repr(source) and "h.test/x.mpd" in repr(source)
    assert source.content_id == "h.test/x.mpd"
    for bad in ("nokey", "00:11", "zz" * 16 + ":" + "00" * 16):
        with pytest.raises(InvalidArgument):
            parse_key_arg(bad)
    with pytest.raises(InvalidArgument):
        DashSource("ftp://h/x.mpd")
    with pytest.raises(InvalidArgument):
        ClearKey(license_url="file:///etc/passwd")
