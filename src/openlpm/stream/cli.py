"""``openlpm live`` and ``openlpm export``: the engine on the command line.

openlpm live --vmc 127.0.0.1:39539 --text "Hello there"      # motion to a VMC receiver
openlpm live --vmc 127.0.0.1:39539 --audio speech.wav --listen user.wav --record rec.mp4
some-tts | openlpm live --stdin 22050 --vmc 127.0.0.1:39539  # raw s16le mono PCM
openlpm export --audio speech.wav --format livelink-csv -o take.csv
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openlpm.errors import InputError

FEED_S = 0.02  # live: files are fed in 20 ms chunks, as a microphone would
TAIL_S = 0.6  # live: keep going this long after the inputs end (the last words, settling)
SUFFIXES = {"livelink-csv": ".csv", "vmc": ".jsonl", "json": ".jsonl"}


def add_parsers(sub: Any) -> None:
    """Register ``live`` and ``export`` on the main parser's subcommands."""
    live = sub.add_parser("live", help="run a live session: motion to VMC/OSC, JSON, CSV, mp4")
    _inputs(live)
    live.add_argument(
        "--stdin",
        type=int,
        metavar="RATE",
        help="read the character's speech as raw mono s16le PCM at RATE Hz "
        "from standard input (e.g. piped from a TTS)",
    )
    live.add_argument("--vmc", metavar="HOST:PORT", help="send VMC (OSC/UDP) to a receiver")
    live.add_argument(
        "--vmc-names",
        choices=("perfect-sync", "arkit", "vrm"),
        default="perfect-sync",
        help="blendshape names sent over VMC",
    )
    live.add_argument(
        "--vts",
        nargs="?",
        const="ws://127.0.0.1:8001",
        metavar="WS_URL",
        help="drive a VTube Studio model through its plugin API (default ws://127.0.0.1:8001)",
    )
    live.add_argument("--jsonl", metavar="PATH", help="one JSON line per frame ('-': stdout)")
    live.add_argument("--livelink-csv", metavar="PATH", help="record a Live Link Face CSV")
    live.add_argument("--record", metavar="OUT.mp4", help="render and record the video + voice")
    live.add_argument("--image", help="character image for --record (default: the astronaut)")
    live.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="PATH",
        help="with --record: another picture of the same character showing an expression "
        "(mouth open, eyes closed, smile), used as that state's texture; repeatable",
    )
    live.add_argument("--size", type=int, default=512, help="video size for --record")
    live.add_argument(
        "--duration",
        type=float,
        help="seconds to run (default: until the inputs end; forever with no input, Ctrl-C stops)",
    )
    live.set_defaults(run=run_live)

    export = sub.add_parser("export", help="speech -> motion file (Live Link CSV, VMC, JSON)")
    _inputs(export)
    export.add_argument(
        "--format",
        choices=tuple(SUFFIXES),
        required=True,
        help="livelink-csv: Live Link Face CSV; vmc: timestamped VMC/OSC "
        "messages (JSON lines); json: one pose per line",
    )
    export.add_argument(
        "--vmc-names",
        choices=("perfect-sync", "arkit", "vrm"),
        default="perfect-sync",
        help="blendshape names in a vmc export",
    )
    export.add_argument("-o", "--out", required=True, help="file to write")
    export.set_defaults(run=run_export)


def _inputs(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group()
    what.add_argument("--audio", help="the character's speech (WAV, MP3, OGG, ...)")
    what.add_argument("--text", help="a line to say with the built-in TTS")
    p.add_argument(
        "--transcript",
        type=transcript_arg,
        help="the words spoken in --audio: the lips follow them (closing on every p/b/m)",
    )
    p.add_argument("--listen", help="the user's speech: the character listens to it")
    p.add_argument("--prompt", help='motion in words: "smiles, then nods twice"')
    p.add_argument("--voice", default="en-us", help="TTS voice for --text (default en-us)")
    p.add_argument("--fps", type=float, default=25.0, help="frames per second (default 25)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same performance")


def transcript_arg(value: str) -> str:
    """--transcript: the words, never empty (an empty one is a mistake, not "no words")."""
    if not value.strip():  # one line (no usage block): what is wrong and how to fix it
        raise InputError("--transcript is empty: give the words spoken in --audio, or leave it out")
    return value


def _load_inputs(args: argparse.Namespace) -> tuple[Any, Any, Any, dict[str, Any]]:
    """(agent Audio | None, user Audio | None, PromptPlan | None, what the agent says:
    {"text": transcript} or {"phones": the TTS's timeline} or {}) from the arguments."""
    from openlpm.audio.tts import synthesize
    from openlpm.io.audio import load_audio

    if args.transcript is not None and not args.audio:
        raise InputError("--transcript is the words spoken in --audio: give --audio too")
    agent = load_audio(args.audio, None) if args.audio else None
    says: dict[str, Any] = {"text": args.transcript} if args.transcript else {}
    if args.text:
        speech = synthesize(args.text, args.voice)
        agent, says = speech.audio, {"phones": speech.phones}
    user = load_audio(args.listen, None) if args.listen else None
    plan = None
    if args.prompt:
        from openlpm.prompts.parse import parse_prompt

        plan = parse_prompt(args.prompt)
        if plan.not_understood:
            _note("did not understand: " + "; ".join(plan.not_understood))
    return agent, user, plan, says


def run_export(args: argparse.Namespace) -> int:
    from openlpm.stream.export import export_motion

    out = Path(args.out)
    if out.is_dir():
        raise InputError(f"the output {args.out} is a folder: give a file name")
    if not out.parent.exists():
        raise InputError(f"the folder {out.parent} does not exist: create it first")
    agent, user, plan, says = _load_inputs(args)
    sink = _file_sink(args.format, out, args.fps, args.vmc_names)
    try:
        n = export_motion([sink], agent, user, plan, args.fps, args.seed, says=says)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    _note(f"wrote {n} frames ({n / args.fps:.2f} s) of motion to {out}")
    return 0


def _file_sink(fmt: str, path: Path | str, fps: float, naming: str) -> Any:
    from openlpm.sinks.jsonl import JsonLinesSink
    from openlpm.sinks.livelink import LiveLinkCsvSink
    from openlpm.sinks.vmc import VmcRecorder

    if fmt == "livelink-csv":
        return LiveLinkCsvSink(path, fps)
    if fmt == "vmc":
        return VmcRecorder(path, naming)
    return JsonLinesSink(path)


def run_live(args: argparse.Namespace) -> int:
    if args.stdin is not None and (args.audio or args.text):
        raise InputError("--stdin is the character's speech: drop --audio/--text")
    if not (args.vmc or args.vts or args.jsonl or args.livelink_csv or args.record):
        raise InputError(
            "give at least one output: --vmc, --vts, --jsonl, --livelink-csv or --record"
        )
    if args.ref and not args.record:
        raise InputError("--ref changes only the video: give --record OUT.mp4 too")
    if args.stdin is not None and not 4000 <= args.stdin <= 192000:
        raise InputError(f"--stdin takes the PCM rate in Hz (4000..192000), got {args.stdin}")
    agent, user, plan, says = _load_inputs(args)
    session = _live_session(args)
    feeders: list[Callable] = []
    try:
        if plan is not None:
            session.prompt(plan)
        if says:  # a known line: queued at once, as a TTS line is
            feeders = [_push_line(session, agent, says, args)]
            agent = None
        feeders += _feeders(session, agent, user, args.stdin)
        _run_until_done(session, feeders, args.duration)
    except KeyboardInterrupt:
        pass
    finally:
        session.close()
    s = session.stats
    _note(f"{s.frames} frames in {s.uptime_s:.1f} s ({s.dropped} dropped)")
    return 0


def _live_session(args: argparse.Namespace) -> Any:
    from openlpm.sinks.jsonl import JsonLinesSink
    from openlpm.sinks.livelink import LiveLinkCsvSink
    from openlpm.sinks.mp4 import Mp4Sink
    from openlpm.sinks.vmc import VmcSink, parse_address
    from openlpm.stream.options import SessionOptions
    from openlpm.stream.session import Session

    options = SessionOptions(
        size=args.size, fps=args.fps, seed=args.seed, voice=args.voice, render=bool(args.record)
    )
    sinks: list[Any] = []
    if args.vmc:
        host, port = parse_address(args.vmc)
        sinks.append(VmcSink(host, port, args.vmc_names))
    if args.jsonl:
        sinks.append(JsonLinesSink(args.jsonl))
    if args.vts:
        from openlpm.integrations.vts import VtsSink

        try:
            sinks.append(VtsSink(args.vts))  # connects and authenticates: may be refused
        except BaseException:
            for sink in sinks:
                getattr(sink, "abort", sink.close)()
            raise
    if args.livelink_csv:
        sinks.append(LiveLinkCsvSink(args.livelink_csv, args.fps))
    if args.record:
        if not args.record.lower().endswith(".mp4"):
            raise InputError(f"--record should end in .mp4, got {args.record}")
        sinks.append(Mp4Sink(args.record, args.fps, options.audio_rate))
    from openlpm.io.quiet import native_stderr_muted

    try:
        with native_stderr_muted():
            return Session(image=args.image, references=args.ref, options=options, sinks=sinks)
    except BaseException:
        for sink in sinks:  # no partial outputs left behind
            getattr(sink, "abort", sink.close)()
        raise


def _push_line(
    session: Any, audio: Any, says: dict[str, Any], args: argparse.Namespace
) -> Callable[[], bool]:
    """The agent's whole line with its words, ahead of playout: the words are aligned while
    it plays (a file fed in real time would reach the lips before its alignment). Returns
    its feeder (nothing more to feed)."""
    if audio.duration > session.options.max_agent_buffer_s:
        raise InputError(
            f"--audio with words is queued whole: at most {session.options.max_agent_buffer_s:.0f}"
            f" s, got {audio.duration:.0f} s (drop --transcript, or split the file)"
        )
    if "phones" in says:
        session.say(args.text, args.voice)  # the same (cached) speech, with its phones
    else:
        session.push_agent_samples(audio.samples, audio.sample_rate, text=says["text"])
    return lambda: False


def _feeders(session: Any, agent: Any, user: Any, stdin_rate: int | None) -> list[Callable]:
    """One function per input; each pushes what is due by now and says if it has more."""
    feeders = []
    start = time.monotonic()
    for audio, push in ((agent, session.push_agent_samples), (user, session.push_user_samples)):
        if audio is not None:
            feeders.append(_file_feeder(audio, push, start))
    if stdin_rate is not None:
        feeders.append(_stdin_feeder(session, stdin_rate))
    return feeders


def _file_feeder(audio: Any, push: Callable, start: float) -> Callable[[], bool]:
    sent = 0

    def feed() -> bool:
        nonlocal sent
        due = min(len(audio.samples), int((time.monotonic() - start) * audio.sample_rate))
        if due > sent:
            push(audio.samples[sent:due], audio.sample_rate)
            sent = due
        return sent < len(audio.samples)

    return feed


def _stdin_feeder(session: Any, rate: int) -> Callable[[], bool]:
    """Raw PCM from stdin, read on a thread (blocking reads); pushed as it arrives."""
    done = threading.Event()
    chunk = max(2, int(rate * FEED_S) * 2)

    def read() -> None:
        stream = sys.stdin.buffer
        try:
            while data := stream.read(chunk):
                session.push_agent_audio(data[: len(data) // 2 * 2], rate)
        except Exception as e:  # the session closed, or bad input: end the feed
            _note(f"stdin: {e}")
        finally:
            done.set()

    threading.Thread(target=read, name="openlpm-stdin", daemon=True).start()
    return lambda: not done.is_set()


def _run_until_done(session: Any, feeders: list[Callable], duration: float | None) -> None:
    start = time.monotonic()
    ended_at = None if feeders else float("inf")  # no input: idle until --duration or Ctrl-C
    while True:
        now = time.monotonic()
        if duration is not None and now - start >= duration:
            return
        active = [f() for f in feeders]
        if feeders and not any(active):
            ended_at = ended_at or now
            played_out = session.stats.agent_buffered_s == 0
            if duration is None and played_out and now - ended_at >= TAIL_S + session.delay_s:
                return
        time.sleep(FEED_S)


def _note(message: str) -> None:
    print(f"openlpm: {message}", file=sys.stderr)
