"""Running scenarios: one :class:`nrdp.Device` per scenario, steps in order, assertions.

Before and after each scenario every OCA fault, service fault and chaos is cleared over the
control plane, so the scenarios of a suite do not leak into each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from typing import Any

import aiohttp

import nrdp
from apps.headless.backend import BackendInfo
from apps.headless.faults import ControlClient, ControlError, load_trace, trace_points
from apps.headless.options import from_scenario
from apps.headless.report import (
    Assertion,
    CaseResult,
    frames_complete,
    frames_message,
    session_report,
)
from apps.headless.scenario_format import Scenario, Step
from apps.headless.session import PlaySession

__all__ = ["ScenarioRunner", "check_expectations", "new_device_id"]

SCENARIO_PLAY_TIMEOUT_S = 120.0
"""A scenario's ``play`` step gives up after this long unless it sets ``timeout``."""


def new_device_id(prefix: str = "qa-headless") -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


class StepError(Exception):
    """A step could not run (control plane refused, no playback to act on...)."""


def _has_code(report: dict[str, Any], code: int) -> bool:
    for e in report.get("error_details", []):
        attrs = e.get("attributes") or {}
        if e.get("code") == code or attrs.get("server_code") == code:
            return True
    return False


def check_expectations(
    report: dict[str, Any] | None, expect: dict[str, Any], line: int | None = None
) -> list[Assertion]:
    """Evaluate an ``expect`` step's assertions against one session report."""
    out: list[Assertion] = []

    def add(name: str, ok: bool, msg: str) -> None:
        out.append(Assertion(name, bool(ok), msg, line))

    if report is None:
        for key in expect:
            add(key, False, "no playback to check")
        return out
    r = report
    for key, want in expect.items():
        if key == "max_rebuffer_ratio":
            add(key, r["rebuffer_ratio"] <= want, f"rebuffer ratio {r['rebuffer_ratio']} <= {want}")
        elif key == "min_avg_bitrate_kbps":
            got = r["avg_bitrate_kbps"]
            add(key, got >= want, f"average bitrate {got} kbps >= {want}")
        elif key == "no_errors":
            ok = (not r["errors"]) == want
            add(key, ok, f"errors {r['errors']} (expected {'none' if want else 'some'})")
        elif key == "error_code":
            add(key, _has_code(r, want), f"error {want} in {r['errors']}")
        elif key == "frames_in_order":
            add(key, r["frames_in_order"] == want, f"frames in order: {r['frames_in_order']}")
        elif key == "frames_complete":
            add(key, frames_complete(r) == want, frames_message(r))
        elif key == "min_failovers":
            add(key, r["failovers"] >= want, f"failovers {r['failovers']} >= {want}")
        elif key == "max_stalls":
            add(key, r["stall_count"] <= want, f"stalls {r['stall_count']} <= {want}")
        elif key == "state":
            add(key, r["state"] == want, f"final state {r['state']!r} == {want!r}")
        elif key == "max_startup_ms":
            got = r["startup_ms"]
            add(key, got is not None and got <= want, f"startup {got} ms <= {want}")
        elif key == "min_frames":
            add(key, r["frames_decoded"] >= want, f"frames {r['frames_decoded']} >= {want}")
    return out


class ScenarioRunner:
    """Runs scenarios against one backend; reuse it for a whole suite."""

    def __init__(self, info: BackendInfo, control: ControlClient) -> None:
        self.info = info
        self.control = control

    async def run(self, scenario: Scenario) -> CaseResult:
        case = CaseResult(scenario.name, str(scenario.path))
        t0 = time.monotonic()
        try:
            await _Run(self, scenario, case).execute()
        except (StepError, ControlError) as exc:
            case.error = str(exc)
        case.seconds = time.monotonic() - t0
        return case


class _Run:
    """The state of one scenario run."""

    def __init__(self, runner: ScenarioRunner, scenario: Scenario, case: CaseResult) -> None:
        self.runner = runner
        self.info = runner.info
        self.control = runner.control
        self.scenario = scenario
        self.case = case
        self.device: nrdp.Device | None = None
        self.logged_in = False
        self.session: PlaySession | None = None
        self.reports: list[dict[str, Any]] = []
        self.device_id = new_device_id()

    async def execute(self) -> None:
        uses_control = any(
            s.name in ("fault", "service_fault", "kill_discovery", "live")
            for s in self.scenario.steps
        )
        if uses_control or self.control.control_url:
            await self._reset(required=uses_control)
        config = nrdp.DeviceConfig(self.device_id, self.info.gateway_url)
        try:
            async with nrdp.Device(config) as device:
                self.device = device
                for step in self.scenario.steps:
                    try:
                        await getattr(self, f"_step_{step.name}")(step)
                    except (StepError, ControlError) as exc:
                        raise StepError(
                            f"{self.scenario.path}:{step.line}: {step.name}: {exc}"
                        ) from None
                await self._finish_session()
        finally:
            if uses_control or self.control.control_url:
                with contextlib.suppress(ControlError):
                    await self._reset(required=False)

    async def _reset(self, *, required: bool) -> None:
        try:
            await self.control.reset_all()
            await self.control.reset_breakers()
        except ControlError:
            if required:
                raise

    # ---------------------------------------------------------------- helpers

    def _dev(self) -> nrdp.Device:
        assert self.device is not None
        return self.device

    async def _ensure_login(self) -> None:
        if self.logged_in:
            return
        if not self.info.email or not self.info.password:
            raise StepError("no credentials: give --email/--password or --endpoints FILE")
        await self._dev().login(self.info.email, self.info.password)
        self.logged_in = True

    def _running(self) -> PlaySession:
        if self.session is None:
            raise StepError("no playback in progress (add a 'play' step first)")
        return self.session

    async def _finish_session(self) -> dict[str, Any] | None:
        s, self.session = self.session, None
        if s is None:
            return self.reports[-1] if self.reports else None
        await s.stop()
        report = session_report(s)
        self.reports.append(report)
        self.case.sessions.append(report)
        return report

    def _fail(self, step: Step, name: str, message: str) -> None:
        self.case.assertions.append(Assertion(f"{step.name}.{name}", False, message, step.line))

    def _pass(self, step: Step, name: str, message: str) -> None:
        self.case.assertions.append(Assertion(f"{step.name}.{name}", True, message, step.line))

    # ---------------------------------------------------------------- steps

    async def _step_login(self, step: Step) -> None:
        email = step.args.get("email", self.info.email)
        password = step.args.get("password", self.info.password)
        if not email or not password:
            raise StepError("no credentials: give email/password or --endpoints FILE")
        try:
            await self._dev().login(email, password)
        except nrdp.SdkError as err:
            raise StepError(f"login failed: {err}") from None
        self.logged_in = True

    async def _step_signup(self, step: Step) -> None:
        """A fresh, unpaid account (nrdp has no signup call: plain HTTP to the gateway)."""
        email = f"qa-{secrets.token_hex(6)}@example.com"
        password = secrets.token_urlsafe(12)
        body = {"email": email, "password": password, "plan": step.args.get("plan", "basic")}
        url = self.info.gateway_url.rstrip("/") + "/signup/v1/accounts"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
                http.post(url, json=body) as resp,
            ):
                if resp.status != 201:
                    raise StepError(f"signup answered HTTP {resp.status}")
        except aiohttp.ClientError as exc:
            raise StepError(f"signup failed: {exc}") from None
        await self._dev().login(email, password)
        self.logged_in = True

    async def _step_browse(self, step: Step) -> None:
        await self._ensure_login()
        t0 = time.monotonic()
        try:
            home = await self._dev().discovery.home()
        except nrdp.SdkError as err:
            self.case.discovery.append({"call": "home", "error": err.to_dict()})
            self._fail(step, "ok", f"home rows failed: {err}")
            return
        rows = home.get("rows", [])
        degraded = list(home.get("degraded", []))
        self.case.discovery.append(
            {
                "call": "home",
                "seconds": round(time.monotonic() - t0, 3),
                "rows": [r.get("id") for r in rows],
                "degraded": degraded,
            }
        )
        if "min_rows" in step.args:
            n = step.args["min_rows"]
            (self._pass if len(rows) >= n else self._fail)(
                step, "min_rows", f"{len(rows)} rows >= {n}"
            )
        if "expect_degraded" in step.args:
            want = step.args["expect_degraded"]
            (self._pass if bool(degraded) == want else self._fail)(
                step, "degraded", f"degraded {degraded} (expected {'some' if want else 'none'})"
            )

    async def _step_search(self, step: Step) -> None:
        await self._ensure_login()
        q = step.args["query"]
        t0 = time.monotonic()
        want_error = step.args.get("expect_error", False)
        try:
            doc = await self._dev().discovery.search(q)
        except nrdp.SdkError as err:
            secs = time.monotonic() - t0
            self.case.discovery.append(
                {"call": "search", "query": q, "seconds": round(secs, 3), "error": err.to_dict()}
            )
            (self._pass if want_error else self._fail)(step, "error", f"search failed: {err}")
            return
        secs = time.monotonic() - t0
        results = doc.get("results", doc.get("titles", []))
        self.case.discovery.append(
            {"call": "search", "query": q, "seconds": round(secs, 3), "results": len(results)}
        )
        if want_error:
            self._fail(step, "error", f"search succeeded with {len(results)} results")
        if "min_results" in step.args:
            n = step.args["min_results"]
            (self._pass if len(results) >= n else self._fail)(
                step, "min_results", f"{len(results)} results >= {n}"
            )
        if "max_seconds" in step.args:
            m = step.args["max_seconds"]
            (self._pass if secs <= m else self._fail)(step, "seconds", f"{secs:.2f} s <= {m}")

    async def _step_play(self, step: Step) -> None:
        await self._ensure_login()
        await self._finish_session()
        a = step.args
        opts = from_scenario(
            a, realtime=self.scenario.speed == "realtime", timeout=SCENARIO_PLAY_TIMEOUT_S
        )
        self.session = PlaySession(self._dev(), opts, poll_s=0.02)
        if not await self.session.start():
            await self._finish_session()
            return
        if a.get("wait", True):
            await self.session.wait()

    async def _step_wait(self, step: Step) -> None:
        a = step.args
        if "seconds" in a:
            await asyncio.sleep(a["seconds"])
            return
        s = self._running()
        until = a["until"]
        timeout = float(a.get("timeout", 60.0))
        if until == "done":
            await s.wait(timeout)
            if s.timed_out:
                self._fail(step, "until", f"playback not done within {timeout} s")
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        count = a.get("count", 1)
        position = a.get("position", 0.0)

        def reached() -> bool:
            if until == "playing":
                return s.player.state.value == "playing"
            if until == "segments":
                return sum(1 for x in s.segments if x.track == "video") >= count
            return s.player.position >= position

        while not reached():
            if s.done:
                self._fail(step, "until", f"playback ended before {until}")
                return
            if loop.time() >= deadline:
                self._fail(step, "until", f"{until} not reached within {timeout} s")
                return
            await asyncio.sleep(0.01)

    async def _step_seek(self, step: Step) -> None:
        try:
            await self._running().player.seek(float(step.args["position"]))
        except nrdp.SdkError as err:
            raise StepError(f"seek refused: {err}") from None

    async def _step_pause(self, step: Step) -> None:
        try:
            self._running().player.pause()
        except nrdp.SdkError as err:
            raise StepError(f"pause refused: {err}") from None

    async def _step_resume(self, step: Step) -> None:
        try:
            self._running().player.play()
        except nrdp.SdkError as err:
            raise StepError(f"resume refused: {err}") from None

    async def _step_stop(self, step: Step) -> None:
        await self._finish_session()

    async def _oca_ids(self, which: str | int) -> tuple[str, ...]:
        ids = await self.control.all_oca_ids()
        if which == "all":
            return ids
        if which in ("serving", "others"):
            s = self.session
            oca = s.serving_oca if s is not None else None
            if oca is None:
                raise StepError("no serving OCA yet (no playback or no segment downloaded)")
            return (oca,) if which == "serving" else tuple(i for i in ids if i != oca)
        if isinstance(which, int):
            if not 1 <= which <= len(ids):
                raise StepError(f"OCA index {which} out of 1..{len(ids)}")
            return (ids[which - 1],)
        if which not in ids:
            raise StepError(f"unknown OCA {which!r} (known: {', '.join(ids)})")
        return (which,)

    async def _step_fault(self, step: Step) -> None:
        a = dict(step.args)
        targets = await self._oca_ids(a.pop("oca"))
        clear = a.pop("clear", False)
        fmt = a.pop("trace_format", None)
        # client: self scopes the plan to this scenario's device (the OCA reads the device
        # id from the playback token); other clients keep the OCA's own plan
        client = self.device_id if a.pop("client", None) == "self" else None
        if isinstance(a.get("trace"), str):
            path = (self.scenario.path.parent / a["trace"]).resolve()
            a["trace"] = trace_points(load_trace(path, fmt))
        for oca_id in targets:
            if clear:
                await self.control.clear(oca_id, client)
            if a:
                await self.control.set_plan(oca_id, a, client)

    async def _step_service_fault(self, step: Step) -> None:
        a = step.args
        await self.control.service_fault(
            a["service"], float(a.get("error_rate", 0.0)), float(a.get("latency_ms", 0.0))
        )

    async def _step_live(self, step: Step) -> None:
        """A live channel fault or event (ad break, late/missing segments, end, clock)."""
        a = dict(step.args)
        await self.control.live(a.pop("channel"), a.pop("action"), a)

    async def _step_kill_discovery(self, step: Step) -> None:
        """The whole discovery service down: every discovery route answers 503 (8162)."""
        await self.control.service_down("discovery")

    async def _step_expect(self, step: Step) -> None:
        report = await self._finish_session()
        self.case.assertions.extend(check_expectations(report, step.args, step.line))
