"""``python -m apps.headless``: the QA player. Not built yet (issue 8)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print(
        "apps.headless: not built yet. The demo (fake backend + headless playback with a QoE "
        "summary) lands with the headless player (issue 8). Meanwhile try:\n"
        "  .venv/bin/python -m abr compare --traces ../shared/abr/traces/fcc "
        "--video ../shared/abr/video/envivio.json\n"
        "  .venv/bin/python -m manifest inspect ../shared/corpus/mpd/dashjs__unit_manifest.mpd",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
