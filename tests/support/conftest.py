"""Fixtures of tests/support/fixtures.py for the tests in this directory."""

from tests.support.fixtures import (  # noqa: F401
    bad_dash_sources,
    ffmpeg_clear,
    shaka_key_rotation,
)
