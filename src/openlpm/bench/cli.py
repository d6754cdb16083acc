"""``openlpm bench``: the argparse wiring and the command."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from openlpm.bench.options import GROUPS, SYSTEMS, BenchOptions, parse_list


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "bench", help="Open LPM-Bench: measure the systems from their rendered pixels; a report"
    )
    data = p.add_mutually_exclusive_group(required=True)
    data.add_argument("--data", help="data folder with portraits/, speech/, video/")
    data.add_argument("--quick", action="store_true", help="small self-made inputs (for CI)")
    p.add_argument("-o", "--out", required=True, help="report folder to write")
    p.add_argument(
        "--systems",
        type=parse_list,
        default=SYSTEMS,
        help=f"comma-separated, from {','.join(SYSTEMS)} (default: all)",
    )
    p.add_argument(
        "--groups",
        type=parse_list,
        default=GROUPS,
        help=f"comma-separated, from {','.join(GROUPS)} (default: all)",
    )
    p.add_argument(
        "--long",
        type=float,
        default=None,
        metavar="MINUTES",
        help="long-form session length (default 10; 0.25 with --quick)",
    )
    p.add_argument("--seed", type=int, default=0, help="same seed, same figures (default 0)")
    p.add_argument(
        "--all-portraits",
        action="store_true",
        help="text group: every prompt on every portrait, with a per-portrait table",
    )
    p.set_defaults(run=run_command)  # fmt: skip
    return p


def run_command(args: argparse.Namespace) -> int:
    from openlpm.bench.progress import terminal_progress
    from openlpm.bench.report import write_report
    from openlpm.bench.runner import run_bench
    from openlpm.io.quiet import native_stderr_muted

    _check_installed(args.systems)
    options = BenchOptions(
        out=Path(args.out),
        data=Path(args.data) if args.data else None,
        quick=args.quick,
        systems=args.systems,
        groups=args.groups,
        long_minutes=args.long,
        seed=args.seed,
        text_all_portraits=args.all_portraits,
    )
    # mediapipe's C++ side prints on file descriptor 2: the bar keeps a copy of it
    with (
        os.fdopen(os.dup(2), "w", buffering=1) as bar_file,
        terminal_progress(bar_file) as progress,
        native_stderr_muted(),
    ):
        result = run_bench(options, progress)
    paths = write_report(result, options.out)
    for note in result.notes:
        print(f"openlpm: {note}", file=sys.stderr)
    print(f"openlpm: wrote {', '.join(str(p) for p in paths)} in {result.seconds:.0f} s",
          file=sys.stderr)  # fmt: skip
    return 0


def _check_installed(systems: tuple[str, ...]) -> None:
    """The benchmark's own dependencies live in the ``bench`` extra: say so, not a traceback."""
    from importlib.util import find_spec

    from openlpm.errors import InputError

    needed = ["dlib", "face_recognition_models", "matplotlib"]
    needed += ["pylipsync"] if "pylipsync" in systems else []
    if missing := [name for name in needed if find_spec(name) is None]:
        raise InputError(
            f"openlpm bench needs {', '.join(missing)}: install the extra with "
            "pip install -e '.[bench]' (or pip install 'openlpm[bench]')"
        )
