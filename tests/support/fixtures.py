"""Session fixtures over :mod:`tests.support.thirdparty`, for any test directory.

The generators are cached per process already; these wrap them as pytest fixtures that
skip cleanly when a tool is missing. Use them from a conftest (``pytest_plugins`` only
works in the root conftest, so import the names)::

    # tests/nrdp/conftest.py
    from tests.support.fixtures import ffmpeg_clear, shaka_on_demand  # noqa: F401
"""

from __future__ import annotations

import pytest

from tests.support.thirdparty import (
    BadSources,
    ThirdPartyStream,
    ToolUnavailable,
    bad_sources,
    ffmpeg_dash,
    shaka_packager,
    two_period,
)

__all__ = [
    "bad_dash_sources",
    "ffmpeg_cenc_timeline",
    "ffmpeg_clear",
    "ffmpeg_segment_list_ranges",
    "shaka_key_rotation",
    "shaka_on_demand",
    "two_period_stream",
]


def _shaka(**kw: bool) -> ThirdPartyStream:
    try:
        return shaka_packager(**kw)
    except ToolUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def ffmpeg_clear() -> ThirdPartyStream:
    return ffmpeg_dash()


@pytest.fixture(scope="session")
def ffmpeg_cenc_timeline() -> ThirdPartyStream:
    return ffmpeg_dash(timeline=True, encrypted=True)


@pytest.fixture(scope="session")
def ffmpeg_segment_list_ranges() -> ThirdPartyStream:
    return ffmpeg_dash(segment_list=True, single_file=True)


@pytest.fixture(scope="session")
def shaka_on_demand() -> ThirdPartyStream:
    return _shaka(on_demand=True, encrypted=True)


@pytest.fixture(scope="session")
def shaka_key_rotation() -> ThirdPartyStream:
    return _shaka(on_demand=True, key_rotation=True)


@pytest.fixture(scope="session")
def two_period_stream() -> ThirdPartyStream:
    return two_period()


@pytest.fixture(scope="session")
def bad_dash_sources() -> BadSources:
    return bad_sources()
