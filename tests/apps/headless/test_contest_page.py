"""The contest page asks the Play API itself (login, signed request, signed answer checked)
and plays what it got, in headless Chromium against a real embedded backend; a refused
login is an error that carries no secret. Skipped (with the reason) without Chromium,
Playwright or the web players (scripts/install-web-players)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.embedded import BackendConfig, catalog_titles
from apps.headless.backend import BackendInfo, EmbeddedBackend
from apps.headless.contest.browser import PAGE_ORIGIN, BrowserPlayer, PageLogin, browser_missing
from apps.headless.contest.title import read_title

_REASON = browser_missing("shaka")
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "n/a")
TITLE = "t-detect"  # clear: the page plays it with no license


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackendInfo, Path]]:
    data = tmp_path_factory.mktemp("contest-page")
    embedded = EmbeddedBackend(
        data,
        catalog=[t for t in catalog_titles("tiny") if t.id == TITLE],
        ocas=1,
        config=BackendConfig(oca_require_token=True, cors_origins=(PAGE_ORIGIN,)),
    )
    info = embedded.start(timeout=180)
    try:
        yield info, data
    finally:
        embedded.close()


def _play(info: BackendInfo, data: Path, password: str) -> dict:
    ladder = read_title(data / "titles" / TITLE)
    player = BrowserPlayer("shaka", None, ladder.bandwidth_of)
    login = PageLogin(info.gateway_url, str(info.email), password, TITLE)
    return asyncio.run(player.play(login, 60.0))


def test_the_page_asks_the_play_api_itself_and_plays(backend: tuple[BackendInfo, Path]) -> None:
    info, data = backend
    state = _play(info, data, str(info.password))
    assert state.get("error") is None and state["ended"], state.get("error")
    assert 0 < state["playApi"] < state["startup"]  # startup counts from the Play API call
    assert state["segments"]  # the OCA (token required) served the page's requests


def test_a_refused_login_is_an_error_without_secrets(backend: tuple[BackendInfo, Path]) -> None:
    info, data = backend
    wrong = "not-the-password-5f3a"
    state = _play(info, data, wrong)
    assert state["error"].startswith("login: HTTP 4") and not state["ended"]
    assert wrong not in json.dumps(state) and wrong not in repr(PageLogin("g", "e", wrong, "t"))
