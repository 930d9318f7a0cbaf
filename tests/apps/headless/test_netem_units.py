"""Pure parts of network emulation (no privilege): the schedule, sizes, errors, flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.headless.netem import NetemUnavailable, queue_limit_bytes, rate_at, sysnet
from apps.headless.netem.schedule import MIN_KBPS, MIN_QUEUE_BYTES, burst_bytes
from apps.headless.netem.shaper import TraceShaper


def test_rate_holds_from_point_until_next_and_repeats() -> None:
    pts = [[0.0, 1000.0], [2.0, 3000.0], [4.0, 500.0]]
    assert [rate_at(pts, t) for t in (0.0, 1.9, 2.0, 3.5, 4.0, 4.9)] == [
        1000.0,
        1000.0,
        3000.0,
        3000.0,
        500.0,
        500.0,
    ]
    assert rate_at(pts, 6.0) == 1000.0  # period = last time + last step = 6 s
    assert rate_at([[0.0, 0.0]], 3.0) == MIN_KBPS  # an outage is a trickle, tbf needs > 0


def test_queue_and_burst_sizes() -> None:
    assert queue_limit_bytes(200) == MIN_QUEUE_BYTES
    assert queue_limit_bytes(6000) == 150_000  # 200 ms at 6 Mbit/s
    assert burst_bytes(300) == 4096 and burst_bytes(8000) == 10_000


def test_shaper_applies_changes_on_virtual_time() -> None:
    now = [100.0]
    applied: list[float] = []
    s = TraceShaper(
        applied.append, [[0.0, 1000.0], [1.0, 1000.0], [2.0, 4000.0]], clock=lambda: now[0]
    )
    s._apply(0.0)
    s._apply(1.0)
    s._apply(2.0)
    assert applied == [1000.0, 4000.0]  # an unchanged rate makes no tc call
    assert [k for _, k in s.applied] == [1000.0, 1000.0, 4000.0]


def test_without_privilege_a_typed_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sysnet, "_has_cap_net_admin", lambda: False)
    with pytest.raises(NetemUnavailable) as info:
        sysnet.check_privilege(need_tun=True)
    assert info.value.missing == "CAP_NET_ADMIN" and "root" in str(info.value)


def test_without_privilege_the_cli_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from apps.headless.cli import main

    trace = tmp_path / "t.txt"
    trace.write_text("0 1000\n1 2000\n")
    monkeypatch.setattr(sysnet, "_has_cap_net_admin", lambda: False)
    code = main(["play", "--netem", str(trace), "--rtt", "40", "--data-dir", str(tmp_path / "d")])
    assert code == 2
    assert "CAP_NET_ADMIN" in capsys.readouterr().err


def test_netem_refuses_an_external_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from apps.headless.cli import main

    trace = tmp_path / "t.txt"
    trace.write_text("0 1000\n1 2000\n")
    assert main(["play", "--netem", str(trace), "--backend", "http://127.0.0.1:9"]) == 2
    assert "embedded backend" in capsys.readouterr().err


def test_without_privilege_scenario_network_and_load_netem_exit_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from apps.headless.cli import main

    (tmp_path / "t.txt").write_text("0 1000\n1 2000\n")
    (tmp_path / "net.yaml").write_text("network: {trace: t.txt, rtt_ms: 40}\nsteps: [stop]\n")
    monkeypatch.setattr(sysnet, "_has_cap_net_admin", lambda: False)
    data = ["--data-dir", str(tmp_path / "d")]
    assert main(["scenario", str(tmp_path / "net.yaml"), *data]) == 2
    assert "CAP_NET_ADMIN" in capsys.readouterr().err
    assert main(["load", "--netem", str(tmp_path / "t.txt"), "--rtt", "40", *data]) == 2
    assert "CAP_NET_ADMIN" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()  # refused before any backend started


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    (tmp_path / "t.txt").write_text("0 1000\n1 2000\n")
    return tmp_path / "t.txt"


def test_load_netem_flags_are_checked_before_anything_starts(
    trace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from apps.headless.cli import main

    assert main(["load", "--netem", str(trace), "--rtt", "-1"]) == 2
    assert "--rtt" in capsys.readouterr().err
    assert main(["load", "--netem", str(trace.parent / "none.txt")]) == 2
    assert "--netem" in capsys.readouterr().err
    assert main(["load", "--netem", str(trace), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "--scheduler" in capsys.readouterr().err
