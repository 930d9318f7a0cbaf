"""``python -m fake_backend serve``: run the whole backend until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fake_backend.catalog import CATALOGS, CatalogTitle
from fake_backend.content import Materializer
from fake_backend.context import BackendConfig
from fake_backend.live.service import default_channels
from fake_backend.runner import Backend

__all__ = ["main"]


def _port_base(text: str) -> int:
    if text == "ephemeral":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("a port number or 'ephemeral'") from None
    if not 0 <= value <= 65000:
        raise argparse.ArgumentTypeError("port base must be 0..65000")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m fake_backend", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="start every service and run until interrupted")
    s.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".nrdp-backend"),
        help="SQLite file, origin titles and OCA caches (default .nrdp-backend)",
    )
    s.add_argument("--catalog", choices=sorted(CATALOGS), default="demo")
    s.add_argument("--ocas", type=int, default=3, help="number of OCAs (default 3)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument(
        "--port-base",
        type=_port_base,
        default=0,
        help="gateway port P, control P+1, OCAs P+2..; 'ephemeral' or 0 = any",
    )
    s.add_argument(
        "--chaos",
        type=int,
        metavar="SEED",
        default=None,
        help="take OCAs down and up at random, seeded",
    )
    s.add_argument("--chaos-interval", type=float, default=5.0, metavar="SECONDS")
    s.add_argument(
        "--media",
        choices=["synthetic", "encoded"],
        default="encoded",
        help="origin content: real H.264/AAC titles from the packager, CENC-encrypted, "
        "with manifest.mpd (default; the demo catalog takes about 2-3 minutes to package "
        "on first start, later starts reuse it) or deterministic stand-in bytes (fast, not "
        "playable); use --reset when switching",
    )
    s.add_argument(
        "--open-ocas",
        action="store_true",
        help="OCAs also serve requests without a playback token (curl, debugging); by default "
        "they require the X-Nrdp-Playback-Token header the SDK sends",
    )
    s.add_argument(
        "--tls",
        action="store_true",
        help="serve every site over HTTPS with a self-signed certificate kept in the data dir "
        "(tls/cert.pem; clients trust it as their CA file; path in endpoints.json tls_cert)",
    )
    s.add_argument(
        "--no-live",
        action="store_true",
        help="do not publish the live channels (live-news: SegmentTimeline + $Time$, "
        "live-sports: $Number$; see docs/live.md)",
    )
    s.add_argument(
        "--live-segment",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="segment duration of the live channels (default 2)",
    )
    s.add_argument(
        "--live-tsbd",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="timeShiftBufferDepth (DVR window) of the live channels (default 30)",
    )
    s.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let a browser page from ORIGIN (e.g. http://127.0.0.1:8000; '*' = any) call every "
        "JSON endpoint, the license service and the OCAs (repeatable; none by default)",
    )
    s.add_argument("--reset", action="store_true", help="wipe the data dir's state first")
    s.add_argument("--json", action="store_true", help="print endpoints as JSON only")
    return p


def _catalog(args: argparse.Namespace) -> str | list[CatalogTitle]:
    """Encoded media: the catalog rows the packager really produces (ladders, durations)."""
    if args.media != "encoded":
        return str(args.catalog)
    from fake_backend.packager import catalog_titles

    return catalog_titles(args.catalog)


def _materializer(args: argparse.Namespace) -> Materializer:
    if args.media != "encoded":
        from fake_backend.content import SyntheticMaterializer

        return SyntheticMaterializer(0.25)  # asked for: Backend's default is playable media
    from fake_backend.packager import PackagerMaterializer

    return PackagerMaterializer()


async def _serve(args: argparse.Namespace) -> int:
    backend = Backend(
        args.data_dir,
        ocas=args.ocas,
        host=args.host,
        port_base=args.port_base,
        catalog=_catalog(args),
        chaos_seed=args.chaos,
        chaos_interval_s=args.chaos_interval,
        reset=args.reset,
        materializer=_materializer(args),
        tls=args.tls,
        config=BackendConfig(
            oca_require_token=not args.open_ocas, cors_origins=tuple(args.cors_origin)
        ),
        live=() if args.no_live else default_channels(args.live_segment, args.live_tsbd),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    starting = asyncio.ensure_future(backend.start())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():  # a signal while starting (e.g. packaging): stop cleanly
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        await backend.close()
        return 0
    stopping.cancel()
    starting.result()
    try:
        _print_endpoints(args, backend.endpoints())
        await stop.wait()
    finally:
        await backend.close()
    return 0


def _print_endpoints(args: argparse.Namespace, ep: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(ep), flush=True)
        return
    print(f"gateway   {ep['gateway_url']}  (GET /health)")
    print(f"control   {ep['control_url']}")
    for oca_id, url in zip(ep["oca_ids"], ep["oca_urls"], strict=True):
        print(f"{oca_id:<9} {url}")
    if "tls_cert" in ep:
        print(f"tls cert  {ep['tls_cert']}  (self-signed; trust it as the CA file)")
    print(f"demo login: {ep['demo']['email']} / {ep['demo']['password']}")
    print(f"endpoints written to {args.data_dir / 'endpoints.json'}; Ctrl-C to stop", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.ocas < 1:
        print("--ocas must be at least 1", file=sys.stderr)
        return 2
    if not (0.5 <= args.live_segment <= 10 and args.live_tsbd >= 2 * args.live_segment):
        print(
            "--live-segment must be 0.5..10 s and --live-tsbd at least two segments",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
