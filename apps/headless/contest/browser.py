"""Shaka Player and dash.js in headless Chromium (Playwright, the system browser), run
inside the link's namespace; what they played, read back as the nrdp player's report."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PAGE_ORIGIN", "BrowserPlayer", "PageLogin", "browser_missing", "tools_dir"]

PAGE_ORIGIN = "http://contest.localhost:8000"
"""The page's origin (served by Playwright's request routing, never over the network;
``*.localhost`` is a secure context, as EME needs). The backend's CORS allows it."""
CHROMIUM = os.environ.get("NRDP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    # the page (routed, no address) calls the backend on a private/loopback address
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
    "PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults",
]
LIBS = {
    "shaka": "shaka-player/dist/shaka-player.compiled.js",
    "dashjs": "dashjs/dist/modern/umd/dash.all.min.js",
}
_SEGMENT = re.compile(r"/titles/[^/]+/(?P<rep>v[^/]+)/seg-(?P<n>\d+)\.m4s")


def tools_dir() -> Path:
    """Where ``scripts/install-web-players`` puts the npm packages (``.tools/web``)."""
    env = os.environ.get("NRDP_WEB_PLAYERS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".tools" / "web" / "node_modules"


def browser_missing(kind: str) -> str | None:
    """Why the browser player ``kind`` cannot run here, or None."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (scripts/install-web-players)"
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set NRDP_CHROMIUM)"
    lib = tools_dir() / LIBS[kind]
    if not lib.exists():
        return f"{lib} is missing (scripts/install-web-players)"
    return None


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class PageLogin:
    """What the page needs to ask the Play API itself, over its own (shaped) network: the
    gateway, the account and the title. The password goes to the page once, as an argument
    of its ``start()``, and is kept in no report, log or repr."""

    gateway_url: str
    email: str
    password: str = field(repr=False)
    title: str


@dataclass
class BrowserPlayer:
    """One browser session: ``kind`` ``shaka`` or ``dashjs``, default ABR settings."""

    kind: str
    netns: str | None
    bandwidth_of: Mapping[str, float]
    """Representation id -> kbit/s from the MPD (the same ladder values the report uses)."""

    def _wrapper(self, tmp: Path) -> str:
        if self.netns is None:
            return CHROMIUM
        path = tmp / "chromium-in-netns"
        path.write_text(f'#!/bin/sh\nexec ip netns exec {self.netns} {CHROMIUM} "$@"\n')
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
        return str(path)

    async def play(
        self, login: PageLogin, timeout_s: float, on_start: Callable[[], None] = _nothing
    ) -> dict[str, Any]:
        """Log in, ask the Play API and play to the end (or ``timeout_s``), all from the
        page; ``on_start`` runs just before the page's login (the contest starts the link's
        trace there, as it does before our player's login)."""
        from playwright.async_api import async_playwright

        with tempfile.TemporaryDirectory(prefix="nrdp-contest-") as tmp:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=self._wrapper(Path(tmp)), args=CHROMIUM_ARGS, headless=True
                )
                try:
                    return await self._session(browser, login, timeout_s, on_start)
                finally:
                    await browser.close()

    async def _session(
        self, browser: Any, login: PageLogin, timeout_s: float, on_start: Callable[[], None]
    ) -> dict[str, Any]:
        page = await browser.new_page()
        await page.route(f"{PAGE_ORIGIN}/**", self._serve_page)
        t0 = time.monotonic()
        segments: list[dict[str, Any]] = []

        def finished(req: Any) -> None:
            m = _SEGMENT.search(req.url)
            if m and m["rep"] in self.bandwidth_of:
                segments.append(
                    {
                        "t": round(time.monotonic() - t0, 3),
                        "number": int(m["n"]),
                        "rep": m["rep"],
                        "bitrate_kbps": self.bandwidth_of[m["rep"]],
                    }
                )

        page.on("requestfinished", finished)
        if os.environ.get("NRDP_CONTEST_DEBUG"):
            page.on("console", lambda msg: print("console:", msg.text))
            page.on("requestfailed", lambda req: print("failed:", req.url, req.failure))
        await page.goto(f"{PAGE_ORIGIN}/page.html")
        on_start()
        t0 = time.monotonic()
        args = [self.kind, login.gateway_url, login.email, login.password, login.title]
        await page.evaluate("([k, g, e, p, t]) => start(k, g, e, p, t)", args)
        state: dict[str, Any] = {}
        while time.monotonic() - t0 < timeout_s:
            await asyncio.sleep(0.5)
            state = await page.evaluate("window.__m")
            if state.get("ended") or state.get("error"):
                break
        state["timed_out"] = not state.get("ended") and not state.get("error")
        state["segments"] = segments
        return state

    async def _serve_page(self, route: Any) -> None:
        url = route.request.url
        if url.endswith("/page.html"):
            body = (Path(__file__).parent / "page.html").read_text()
            lib = tools_dir() / LIBS[self.kind]
            body = body.replace("<script>", '<script src="/lib.js"></script>\n<script>', 1)
            await route.fulfill(status=200, content_type="text/html", body=body)
        elif url.endswith("/lib.js"):
            lib = tools_dir() / LIBS[self.kind]
            await route.fulfill(status=200, content_type="text/javascript", body=lib.read_text())
        else:
            await route.fulfill(status=404, body="")
