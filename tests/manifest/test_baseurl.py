"""BaseURL resolution and ranking (DVB-DASH priority/weight, serviceLocation)."""

from __future__ import annotations

from urllib.parse import urljoin

from hypothesis import given, settings
from hypothesis import strategies as st

from manifest import BaseUrl, UrlCandidate
from manifest.baseurl import candidates_for, join_url, resolve_level


def test_relative_chain_and_absolute_override() -> None:
    cands = candidates_for(
        "https://host.example/path/manifest.mpd",
        [BaseUrl("cdn/")],
        [BaseUrl("period/")],
        [BaseUrl("../video/")],
        [BaseUrl("https://other.example/abs/")],
    )
    assert [c.url for c in cands] == ["https://other.example/abs/"]
    cands = candidates_for(
        "https://host.example/path/manifest.mpd", [BaseUrl("cdn/")], [BaseUrl("../video/")]
    )
    assert [c.url for c in cands] == ["https://host.example/path/video/"]


def test_ranked_by_priority_keeping_document_order() -> None:
    level = [
        BaseUrl("https://b.example/", service_location="b", priority=2, weight=5),
        BaseUrl("https://a.example/", service_location="a", priority=1, weight=1),
        BaseUrl("https://c.example/", service_location="c", priority=2, weight=1),
    ]
    cands = candidates_for("https://m.example/x.mpd", level, [BaseUrl("seg/")])
    assert [(c.service_location, c.priority, c.url) for c in cands] == [
        ("a", 1, "https://a.example/seg/"),
        ("b", 2, "https://b.example/seg/"),
        ("c", 2, "https://c.example/seg/"),
    ]
    assert [c.weight for c in cands] == [1, 5, 1]


def test_no_base_urls_keeps_parents_and_bad_urls_do_not_raise() -> None:
    parents = (UrlCandidate("https://x.example/"),)
    assert resolve_level(parents, []) == parents
    assert join_url("http://[broken/", "a").endswith("a")
    assert join_url("http://[broken/", "../a") == "../a"  # unparsable: returned as written
    cands = candidates_for("", [BaseUrl("http://[v6/")], [BaseUrl("seg")])
    assert len(cands) == 1


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(
        [
            "https://h.example/a/b.mpd",
            "https://h.example",
            "http://h:8080/x/",
            "file:///tmp/m.mpd",
            "https://h.example/a/?q=1",
            "https://h.example/a#f",
            "",
            "rel/path.mpd",
        ]
    ),
    ref=st.text("ab/.:?#%$\\-_", max_size=12),
)
def test_join_fast_path_agrees_with_urljoin(base: str, ref: str) -> None:
    assert join_url(base, ref) == urljoin(base, ref)
