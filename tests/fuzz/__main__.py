"""``make fuzz``: every target (or those named) under atheris for ``--seconds`` each.

    python -m tests.fuzz [--seconds N] [NAME ...]

Seeds are written to a scratch directory with the target's kept regression inputs; new
coverage goes to ``.fuzz/NAME`` (not committed); a finding is written to
``tests/fuzz/corpus/NAME/crash-<sha1>`` and must be fixed (it then runs in ``make test``).
Exit status 1 if any target found something."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.fuzz.targets import CORPUS, KNOWN_TARGETS, TARGETS, corpus, target

WORK = Path(".fuzz")


def _seed_dir(name: str, into: Path) -> Path:
    folder = into / name
    folder.mkdir(parents=True)
    for data in target(name).seeds() + corpus(name, known=False):
        (folder / hashlib.sha1(data, usedforsecurity=False).hexdigest()).write_bytes(data)
    return folder


def fuzz(name: str, seconds: int, scratch: Path) -> int:
    work = WORK / name
    work.mkdir(parents=True, exist_ok=True)
    (CORPUS / name).mkdir(parents=True, exist_ok=True)
    flags = [
        f"-max_total_time={seconds}",
        "-timeout=20",  # wall-clock hang guard; the CPU and memory budget is run_one's
        "-rss_limit_mb=4096",
        "-max_len=65536",
        f"-artifact_prefix={CORPUS / name}/",  # libFuzzer names a finding crash-<sha1>
        "-print_final_stats=1",
    ]
    cmd = [sys.executable, "-m", "tests.fuzz.atheris_run", name, *flags]
    print(f"== fuzz {name} for {seconds} s", flush=True)
    return subprocess.call([*cmd, str(work), str(_seed_dir(name, scratch))])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--seconds", type=int, default=60, help="per target (default 60)")
    parser.add_argument("names", nargs="*", help=f"targets (default all: {' '.join(TARGETS)})")
    args = parser.parse_args(argv)
    names = args.names or sorted(set(TARGETS) - set(KNOWN_TARGETS))
    for name in sorted(set(KNOWN_TARGETS) - set(names)):
        print(f"skipped {name} (name it to run it): {KNOWN_TARGETS[name]}")
    unknown = set(names) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {' '.join(sorted(unknown))}")
    failed = []
    with tempfile.TemporaryDirectory(prefix="nrdp-fuzz-seeds-") as tmp:
        for name in names:
            if fuzz(name, args.seconds, Path(tmp)) != 0:
                failed.append(name)
    if failed:
        print(f"findings in: {', '.join(failed)} (inputs in {CORPUS}/<name>/crash-*)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
