"""``python -m apps.desktop``: the reference player.

    python -m apps.desktop [--backend URL --email E --password P] [--data-dir DIR]
                           [--catalog tiny|demo] [--play TITLE] [--stats]
                           [--screenshot PATH [--screenshot-screen home|details|player|error]
                            --quit-after S] [--video-path auto|yuv|rgb]
                           [--audio LANG] [--subtitles LANG]

Without ``--backend`` the fake backend runs embedded (real packaged media) and its demo
account is filled in. ``--play`` signs in and plays a title at once; ``--screenshot``
saves the window S seconds after the first frame is shown (without ``--play``: S seconds
after signing in, the home rows with their posters), then quits (exit status 0, or 1 if
nothing was shown within S + 120 s or an error page opened). ``--screenshot-screen``
picks the screen (home, details, player with its OSD, or the error page; see
``screenshots.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

import nrdp
from apps.desktop.main_window import MainWindow
from apps.desktop.screenshots import SCREENS, arrange_screenshot
from apps.desktop.session import Session
from apps.embedded import add_embedded_flags

DEFAULT_DATA_DIR = Path(".nrdp-desktop")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m apps.desktop", description=__doc__.split("\n")[0])
    ap.add_argument("--backend", metavar="URL", help="gateway URL (default: embedded backend)")
    ap.add_argument("--email", default=os.environ.get("NRDP_EMAIL"))
    ap.add_argument("--password", default=os.environ.get("NRDP_PASSWORD"))
    add_embedded_flags(ap, data_dir=DEFAULT_DATA_DIR, catalog="tiny")
    ap.add_argument("--play", metavar="TITLE", help="sign in and play TITLE at once")
    ap.add_argument("--mpd", metavar="URL", help="play this on-demand MPD at once")
    ap.add_argument("--key", action="append", default=[], metavar="KID:KEY", help="with --mpd")
    ap.add_argument("--stats", action="store_true", help="show the stats overlay")
    ap.add_argument("--screenshot", type=Path, metavar="PATH", help="save the window")
    ap.add_argument(
        "--screenshot-screen",
        choices=SCREENS,
        help="which screen --screenshot saves (default: player with --play, else home)",
    )
    ap.add_argument("--quit-after", type=float, default=3.0, metavar="S")
    ap.add_argument("--size", default="1024x640", help="window size WxH")
    ap.add_argument(
        "--video-path",
        choices=["auto", "yuv", "rgb"],
        default="auto",
        help="yuv: Qt's QVideoFrame path; rgb: RGB converted by the SDK (default: auto)",
    )
    ap.add_argument("--audio", metavar="LANG", help="preferred audio language (BCP-47)")
    ap.add_argument("--subtitles", metavar="LANG", help="turn on subtitles in LANG at load")
    ap.add_argument(
        "--abr",
        metavar="NAME",
        default="default",
        help="ABR algorithm: a registry name, package.module:ClassName or an nrdp_sdk.abr "
        "entry point (docs/abr.md)",
    )
    args = ap.parse_args(argv)
    if args.quit_after < 0:
        ap.error("--quit-after must be >= 0")
    try:
        args.player_config = nrdp.PlayerConfig(
            preferred_audio_language=args.audio,
            preferred_text_language=args.subtitles,
            abr=nrdp.AbrConfig(algorithm=args.abr),
        )
    except nrdp.SdkError as exc:
        ap.error(f"--audio/--subtitles/--abr: {exc}")
    args.source = None
    if args.key and not args.mpd:
        ap.error("--key goes with --mpd")
    if args.mpd:
        try:
            keys = dict(nrdp.parse_key_arg(k) for k in args.key)
            args.source = nrdp.DashSource(args.mpd, drm=nrdp.ClearKey(keys=keys) if keys else None)
        except nrdp.SdkError as exc:
            ap.error(f"--mpd/--key: {exc}")
        args.play = args.play or args.source
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    embedded = None
    url, email, password = args.backend, args.email, args.password
    if url is None:
        from apps.embedded import EmbeddedBackend

        embedded = EmbeddedBackend(
            args.data_dir, catalog=args.catalog, ocas=args.ocas, thread_name="desktop-backend"
        )
        backend = embedded.start(timeout=600.0)
        url = backend.gateway_url
        email = email or backend.email
        password = password or backend.password
    session = Session(url, player_config=args.player_config)
    window = MainWindow(session, video_path=args.video_path)
    w, _, h = args.size.partition("x")
    window.resize(int(w), int(h))
    status = {"code": 0}
    if args.stats:
        window.toggle_stats()
    if args.play:
        session.logged_in.connect(lambda _e: window.play(args.play))
    window.show_login(email or "", password or "")
    window.show()
    if email and password and (args.play or args.screenshot_screen or embedded is not None):
        window.login_page.login_requested.emit(email, password)

    if args.screenshot is not None:
        arrange_screenshot(app, window, session, args, status)

    try:
        app.exec()
    finally:
        session.close()
        if embedded is not None:
            embedded.close()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main())
