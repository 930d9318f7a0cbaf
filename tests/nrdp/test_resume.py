from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nrdp.delivery.resume import ByteRange, RangeResume, parse_content_range
from nrdp.errors import InvalidArgument, RangeMismatch, TruncatedBody

FILE = bytes(range(256)) * 4  # 1024 bytes


class RangeServer:
    """Serves FILE like an OCA would: honours Range with 206 or ignores it with 200."""

    def __init__(self, data: bytes, *, honour_range: bool = True) -> None:
        self.data = data
        self.honour_range = honour_range

    def respond(self, range_header: str | None) -> tuple[int, str | None, int | None, bytes]:
        if range_header is None or not self.honour_range:
            return 200, None, len(self.data), self.data
        first_s, last_s = range_header.removeprefix("bytes=").split("-")
        first = int(first_s)
        last = int(last_s) if last_s else len(self.data) - 1
        body = self.data[first : last + 1]
        return 206, f"bytes {first}-{last}/{len(self.data)}", len(body), body


def attempt(resume: RangeResume, server: RangeServer, cut: int | None, chunk: int = 37) -> bool:
    """One response, cut after ``cut`` body bytes (None = complete). True when done."""
    status, content_range, length, body = server.respond(resume.range_header())
    resume.begin_response(
        status, content_range=content_range, content_length=length, url="http://oca/x?token=secret"
    )
    if cut is not None:
        body = body[:cut]
    for i in range(0, len(body), chunk):
        resume.feed(body[i : i + chunk])
        if resume.complete:
            break  # a 200 body may continue; the shell closes the connection
    try:
        resume.end_response()
    except TruncatedBody as err:
        assert "secret" not in str(err)
        return False
    return True


def test_byte_range_parses_and_renders() -> None:
    assert ByteRange.parse("100-199") == ByteRange(100, 199)
    assert ByteRange.parse("5-").header() == "bytes=5-"
    assert ByteRange(100, 199).length == 100
    assert ByteRange(3).length is None
    for bad in ("", "a-b", "-5", "9-3"):
        with pytest.raises(InvalidArgument):
            ByteRange.parse(bad)


def test_content_range_parsing_is_strict() -> None:
    assert parse_content_range("bytes 0-9/100") == (0, 9, 100)
    assert parse_content_range("bytes 5-9/*") == (5, 9, None)
    for bad in ("bytes 9-5/100", "bytes 0-100/100", "items 0-1/2", "bytes */100"):
        with pytest.raises(RangeMismatch):
            parse_content_range(bad)


def test_failover_resumes_from_the_first_missing_byte() -> None:
    resume = RangeResume(ByteRange(100, 499))
    assert resume.range_header() == "bytes=100-499"
    assert not attempt(resume, RangeServer(FILE), cut=150)
    assert resume.received == 150
    assert resume.range_header() == "bytes=250-499"
    assert attempt(resume, RangeServer(FILE), cut=None)
    assert resume.data() == FILE[100:500]
    assert resume.attempts == 2


def test_whole_file_needs_no_range_until_a_failover() -> None:
    resume = RangeResume()
    assert resume.range_header() is None
    assert not attempt(resume, RangeServer(FILE), cut=300)
    assert resume.range_header() == "bytes=300-1023"
    assert resume.end == len(FILE) - 1  # learned from Content-Length
    assert attempt(resume, RangeServer(FILE), cut=None)
    assert resume.data() == FILE


def test_a_server_ignoring_range_has_the_prefix_skipped() -> None:
    resume = RangeResume(ByteRange(10, 19))
    assert attempt(resume, RangeServer(FILE, honour_range=False), cut=None)
    assert resume.data() == FILE[10:20]


def test_wrong_answers_are_range_mismatches() -> None:
    resume = RangeResume(ByteRange(10, 19))
    with pytest.raises(RangeMismatch):
        resume.begin_response(206, content_range="bytes 0-9/100")
    with pytest.raises(RangeMismatch):
        resume.begin_response(206, content_range="bytes 10-29/100")
    with pytest.raises(RangeMismatch):
        resume.begin_response(206)
    with pytest.raises(RangeMismatch):
        resume.begin_response(200, content_length=15)  # file too short for the range
    with pytest.raises(RangeMismatch):
        resume.begin_response(404)
    resume.begin_response(206, content_range="bytes 10-19/100")
    with pytest.raises(RangeMismatch):
        resume.feed(b"x" * 11)  # a 206 must not run past what was asked


def test_open_range_answered_short_is_a_mismatch() -> None:
    resume = RangeResume(ByteRange(5))
    with pytest.raises(RangeMismatch):
        resume.begin_response(206, content_range="bytes 5-9/100")


def test_corrupt_data_reset_starts_over_and_api_misuse_is_refused() -> None:
    resume = RangeResume(ByteRange(0, 9))
    with pytest.raises(InvalidArgument):
        resume.feed(b"x")
    with pytest.raises(InvalidArgument):
        resume.end_response()
    resume.begin_response(206, content_range="bytes 0-9/10")
    resume.feed(b"abc")
    resume.abort_response()
    assert resume.range_header() == "bytes=3-9"
    resume.reset()
    assert resume.received == 0 and resume.range_header() == "bytes=0-9"
    resume.begin_response(206, content_range="bytes 0-9/10")
    resume.feed(b"0123456789")
    resume.end_response()
    assert resume.complete
    with pytest.raises(InvalidArgument):
        resume.begin_response(206, content_range="bytes 0-9/10")


def test_open_ended_200_without_length_completes_at_eof() -> None:
    resume = RangeResume()
    resume.begin_response(200)
    resume.feed(b"hello")
    resume.end_response()
    assert resume.data() == b"hello" and resume.end == 4
    empty = RangeResume()
    empty.begin_response(200)
    with pytest.raises(TruncatedBody):
        empty.end_response()


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=3000),
    bounds=st.tuples(st.floats(0, 1), st.floats(0, 1), st.booleans()),
    cuts=st.lists(st.integers(0, 4000), max_size=8),
    honour=st.lists(st.booleans(), min_size=1, max_size=9),
    chunk=st.integers(1, 700),
)
def test_random_cuts_across_failovers_reassemble_the_original(
    data: bytes, bounds: tuple[float, float, bool], cuts: list[int], honour: list[bool], chunk: int
) -> None:
    a, b, open_ended = bounds
    start = int(a * (len(data) - 1))
    end = None if open_ended else start + int(b * (len(data) - 1 - start))
    resume = RangeResume(ByteRange(start, end))
    wanted = data[start:] if end is None else data[start : end + 1]
    plans: list[int | None] = [*cuts, None]  # the last OCA delivers fully
    delivered = []
    for i, cut in enumerate(plans):
        server = RangeServer(data, honour_range=honour[i % len(honour)])
        before = resume.received
        done = attempt(resume, server, cut, chunk)
        delivered.append(resume.received - before)
        assert wanted.startswith(resume.data())  # never a wrong or repeated byte
        if done:
            break
    assert resume.complete
    assert resume.data() == wanted
    assert sum(delivered) == len(wanted)
