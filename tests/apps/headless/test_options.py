"""The play-options schema: one declaration drives the flags, the scenario keys and the
report's echo, and validates once (the SDK's own config checks)."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from apps.headless.cli import build_parser, main
from apps.headless.options import (
    OptionError,
    PlayOptions,
    add_play_flags,
    echo,
    from_flags,
    from_scenario,
    scenario_keys,
)
from apps.headless.scenario_format import STEPS, ScenarioFormatError, load_scenario


def _flags(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_play_flags(p)
    return p.parse_args(list(argv))


def test_buffer_and_abr_reach_the_player_config_from_a_flag() -> None:
    args = _flags(
        "--abr", "bba0", "--abr-param", "reservoir_s=8", "--abr-param", "cushion_s=12.5",
        "--buffer-start", "1", "--buffer-target", "12", "--buffer-max-ahead", "20",
        "--speed", "fast",
    )  # fmt: skip
    cfg = from_flags(args, title="t-ocean").player_config()
    assert cfg.abr.algorithm == "bba0"
    assert dict(cfg.abr.params) == {"reservoir_s": 8, "cushion_s": 12.5}
    assert (cfg.buffer.start, cfg.buffer.target, cfg.buffer.max_ahead) == (1.0, 12.0, 20.0)
    assert cfg.buffer.rebuffer == 4.0  # not given: the SDK's default
    assert cfg.realtime is False


def test_buffer_and_abr_reach_the_player_config_from_a_scenario_key() -> None:
    opts = from_scenario(
        {
            "title": "t-ocean",
            "abr": "bola",
            "abr_params": {"gamma_p_s": 5.0},
            "buffer_rebuffer": 2.0,
            "speed": "fast",
        },
        realtime=True,
    )
    cfg = opts.player_config()
    assert (cfg.abr.algorithm, dict(cfg.abr.params)) == ("bola", {"gamma_p_s": 5.0})
    assert cfg.buffer.rebuffer == 2.0 and cfg.realtime is False


def test_every_flag_has_a_scenario_key_and_the_report_echoes_every_key(tmp_path: Path) -> None:
    keys = scenario_keys()
    flagged = [f.metadata["option"] for f in fields(PlayOptions) if f.metadata["option"].flag]
    assert all(o.key for o in flagged)
    opts = PlayOptions(title="t", abr="mpc", buffer_target=20.0, realtime=False)
    shown = echo(opts)
    assert set(shown) == set(keys)
    assert shown["speed"] == "fast" and shown["buffer_target"] == 20.0 and shown["abr"] == "mpc"
    # an echo without its unset (None) entries is a valid scenario play step: it loads
    # and builds the same options
    step = {k: v for k, v in shown.items() if v is not None}
    path = tmp_path / "echo.yaml"
    path.write_text(yaml.safe_dump({"steps": [{"play": step}]}))
    assert from_scenario(load_scenario(path).steps[0].args) == opts
    # and the scenario validator knows every key
    assert set(keys) <= set(STEPS["play"])


def test_the_play_command_has_every_flag() -> None:
    ns = build_parser().parse_args(["play", "t", "--buffer-target", "9", "--abr-param", "a=1"])
    assert ns.opt_buffer_target == 9.0 and ns.opt_abr_params == ["a=1"]


@pytest.mark.parametrize(
    ("values", "option"),
    [
        ({"abr": "magic"}, "abr"),
        ({"abr": "bba0", "abr_params": {"nope": 1}}, "abr_params"),
        ({"buffer_start": 50.0}, "buffer_start"),
        ({"buffer_target": 100.0}, "buffer_target"),
        ({"duration": 0.0}, "duration"),
        ({"max_rung": -1}, "max_rung"),
    ],
)
def test_bad_values_fail_once_naming_the_option(values: dict[str, object], option: str) -> None:
    with pytest.raises(OptionError) as info:
        PlayOptions(title="t", **values)  # type: ignore[arg-type]
    assert info.value.option == option


def test_a_scenario_with_a_bad_buffer_fails_at_load_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("steps:\n  - play:\n      title: t-ocean\n      buffer_start: 99\n")
    with pytest.raises(ScenarioFormatError) as info:
        load_scenario(path)
    assert info.value.line == 4 and "buffer_start" in str(info.value)


def test_bad_flags_exit_2_before_any_backend(capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--backend", "http://127.0.0.1:9"]
    assert main(["play", "t", "--abr-param", "novalue", *common]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    assert main(["play", "t", "--buffer-start", "99", *common]) == 2
    assert "--buffer-start" in capsys.readouterr().err
