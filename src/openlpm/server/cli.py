"""``openlpm serve``: its arguments, registered by :func:`add_parser` in ``openlpm.cli``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from dataclasses import replace
from pathlib import Path

from openlpm.server.config import Limits, ServerConfig, new_token

TOKEN_ENV = "OPENLPM_TOKEN"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser(
        "serve", help="the web app: open the printed address, talk to the character live"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0 = any)")
    serve.add_argument("--image", type=Path, help="a character image offered first, as default")
    serve.add_argument(
        "--token",
        nargs="?",
        const="auto",
        help=f"clients must pass this token (required off 127.0.0.1); alone: a random one. "
        f"Also read from ${TOKEN_ENV}",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        default=Limits.max_sessions,
        help=f"live sessions at once; more are refused (default {Limits.max_sessions})",
    )
    serve.add_argument(
        "--quality", type=int, default=80, choices=range(30, 96), metavar="30-95",
        help="JPEG quality of the video frames (default 80)",
    )  # fmt: skip
    serve.add_argument(
        "--chroma",
        metavar="'#RRGGBB'",
        help="/overlay on this solid colour (e.g. '#00ff00' for a chroma key) instead of "
        "a transparent background",
    )
    serve.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from openlpm.heap import limit_arenas
    from openlpm.server.app import serve  # aiohttp is imported only for this command

    token = args.token or os.environ.get(TOKEN_ENV) or None
    if token == "auto":
        token = new_token()
    config = ServerConfig(
        host=args.host,
        port=args.port,
        image=args.image,
        token=token,
        jpeg_quality=args.quality,
        chroma=args.chroma,
        limits=replace(Limits(), max_sessions=args.max_sessions),
    )
    logging.basicConfig(level=logging.WARNING, format="openlpm serve: %(message)s")
    limit_arenas()  # a long-lived process with a dozen threads: -8 MB in steady state
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config))
    return 0
