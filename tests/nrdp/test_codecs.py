"""The decoder pool lends each context to one user at a time and bounds what it keeps."""

from __future__ import annotations

from nrdp.media.codecs import DecoderPool


def test_contexts_are_lent_once_and_reused_after_return() -> None:
    pool = DecoderPool(per_key=1, max_keys=2)
    a = pool.take("h264", b"x")
    b = pool.take("h264", b"x")  # the first is still out: a second one is made
    assert a is not b and pool.created == 2
    pool.give("h264", b"x", a)
    pool.give("h264", b"x", b)  # beyond per_key: dropped
    assert pool.take("h264", b"x") is a
    assert pool.take("h264", b"x") is not b and pool.created == 3


def test_only_the_most_recent_renditions_keep_idle_contexts() -> None:
    pool = DecoderPool(per_key=2, max_keys=2)
    ctxs = {k: pool.take("h264", k) for k in (b"1", b"2", b"3")}
    pool.give("h264", b"1", ctxs[b"1"])
    pool.give("h264", b"2", ctxs[b"2"])
    pool.give("h264", b"1", pool.take("h264", b"1"))  # b"1" is now the most recent
    pool.give("h264", b"3", ctxs[b"3"])  # evicts b"2", the least recent
    assert pool.idle_keys == 2
    created = pool.created
    assert pool.take("h264", b"1") is ctxs[b"1"]
    assert pool.take("h264", b"3") is ctxs[b"3"]
    assert pool.take("h264", b"2") is not ctxs[b"2"] and pool.created == created + 1
    assert pool.take("aac", None).name == "aac"
    pool.clear()
    assert pool.idle_keys == 0
