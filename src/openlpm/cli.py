"""The ``openlpm`` command line: rig, puppet, poses.

Every error the user can cause ends with a one-line message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import NoReturn

from openlpm import __version__
from openlpm.bench.cli import add_parser as add_bench_parser
from openlpm.errors import InputError, OpenLPMError
from openlpm.io.quiet import native_stderr_muted
from openlpm.server.cli import add_parser as add_serve_parser
from openlpm.speak import MODES
from openlpm.stream.cli import add_parsers as add_stream_parsers
from openlpm.stream.cli import transcript_arg

EXIT_USAGE = 2


def bundled(name: str) -> Path:
    """Path of a file shipped in openlpm/assets."""
    return Path(str(resources.files("openlpm") / "assets" / name))


DEFAULT_OUT = Path("out")  # default outputs: a folder a clone's .gitignore already lists


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so that partial outputs are cleaned up."""


class _Parser(argparse.ArgumentParser):
    """argparse with the project's one error style: one line, with where to look."""

    def error(self, message: str) -> NoReturn:
        print(f"openlpm: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)  # argument types may refuse a value with InputError
        if not hasattr(args, "run"):  # bare `openlpm`: the command list
            parser.print_help()
            return EXIT_USAGE
        with _signals_stop():
            return args.run(args)
    except OpenLPMError as e:
        print(f"openlpm: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as e:
        print(f"openlpm: {'stopped' if isinstance(e, Stopped) else 'interrupted'}", file=sys.stderr)
        return 130


@contextmanager
def _signals_stop() -> Iterator[None]:
    """SIGTERM and SIGHUP stop a command the way Ctrl-C does (hidden partial files removed),
    while the command runs; the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(signal.Signals(signum).name)

    wanted = (signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, stop) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


RENDER_DESCRIPTION = """\
The main job: a character image and speech in, a performance video out (H.264 + the voice).
The character speaks --audio (or --text with the built-in TTS), listens to --listen, and
follows --prompt or --timeline; --audio2 makes a second face of the picture answer.

examples:
  openlpm render --image face.png --audio speech.wav -o out.mp4
  openlpm render --image face.png --text "Hello there." -o out.mp4
  openlpm render --image face.png --audio agent.wav --listen user.wav -o talk.mp4
  openlpm render --image face.png --audio a.wav --prompt "smiles, then nods twice" -o out.mp4
  openlpm render --image two.png --audio a.wav --audio2 b.wav --faces 0,1 -o dialogue.mp4
"""


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="openlpm", description="One character image in, a live performer out.")
    p.add_argument("--version", action="version", version=f"openlpm {__version__}")
    sub = p.add_subparsers(metavar="COMMAND")

    rig = sub.add_parser(
        "rig", help="analyse a character image once; writes a rig folder with preview.png"
    )
    _image_args(rig)
    rig.add_argument("-o", "--out", required=True, help="rig folder to write")
    rig.set_defaults(run=_cmd_rig)

    puppet = sub.add_parser(
        "puppet", help="animate a character from motion curves (CSV) into an MP4"
    )
    _image_args(puppet)
    _ref_args(puppet)
    puppet.add_argument(
        "--motion", help="motion curves CSV (docs/motion-format.md); default: a bundled example"
    )
    puppet.add_argument("--audio", help="audio to mux into the video (any format ffmpeg reads)")
    _video_args(puppet)
    puppet.add_argument("-o", "--out", required=True, help="MP4 file to write")
    puppet.set_defaults(run=_cmd_puppet)

    poses = sub.add_parser("poses", help="contact sheet: every motion parameter at its extremes")
    _image_args(poses)
    _ref_args(poses)
    poses.add_argument(
        "--size", type=_size, default=512, help="render size before cropping (default 512)"
    )
    poses.add_argument(
        "--closeup",
        action="store_true",
        help="2x face crops: openings, smile, grin, surprise, blink, glance, head turns",
    )
    poses.add_argument("-o", "--out", required=True, help="PNG or JPEG file to write")
    poses.set_defaults(run=_cmd_poses)

    render = sub.add_parser(
        "render",
        help="the main job: speech, listening and prompts -> a performance video",
        description=RENDER_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _image_args(render)
    _ref_args(render)
    _speech_args(render)
    render.add_argument(
        "--audio2", help="a second character's speech: the image's second face says it"
    )
    render.add_argument(
        "--faces", type=_faces, help="with --audio2: which two faces, e.g. 0,2 (default 0,1)"
    )
    render.add_argument("--motion-out", help="also write the motion curves to this CSV")
    _video_args(render)
    render.add_argument("-o", "--out", required=True, help="MP4 file to write")
    render.set_defaults(run=_cmd_render)

    motion = sub.add_parser("motion", help="speech -> motion curves (CSV) only, no video")
    _speech_args(motion)
    motion.add_argument("--fps", type=_fps, default=25.0, help="frames per second (default 25)")
    motion.add_argument("-o", "--out", required=True, help="CSV file to write")
    motion.set_defaults(run=_cmd_motion)

    demo = sub.add_parser("demo", help="the bundled character says a bundled line (built-in TTS)")
    demo.add_argument(
        "-o",
        "--out",
        default=str(DEFAULT_OUT / "demo.mp4"),
        help=f"MP4 file to write (default {DEFAULT_OUT / 'demo.mp4'})",
    )
    demo.add_argument("--mode", choices=MODES, default="base", help="base (offline) or online")
    demo.set_defaults(run=_cmd_demo)
    add_serve_parser(sub)  # `openlpm serve`
    add_bench_parser(sub)  # `openlpm bench`
    add_stream_parsers(sub)  # `openlpm live`, `openlpm export`
    return p


def _speech_args(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group()
    what.add_argument("--audio", help="the character's speech (WAV, MP3, OGG, M4A, ...)")
    what.add_argument("--text", help="a line to say with the built-in TTS (eSpeak NG)")
    p.add_argument("--listen", help="the user's speech: the character listens to it")
    p.add_argument("--prompt", help='motion in words: "smiles warmly, then nods twice"')
    p.add_argument("--timeline", help='timed cues (JSON): [{"at": 2.5, "do": "nod"}, ...]')
    p.add_argument(
        "--transcript", type=transcript_arg, help="the words spoken in --audio (better lip sync)"
    )
    p.add_argument(
        "--language",
        default="en",
        help="language of --audio (default en): without --transcript, English is recognised "
        "as words then aligned (closes ~90%% of p/b/m), other languages as phones (~50-65%%)",
    )
    p.add_argument("--voice", default="en-us", help="TTS voice for --text (default en-us)")
    p.add_argument(
        "--mode", choices=MODES, default="base", help="base (offline, default) or online (causal)"
    )
    p.add_argument("--seed", type=int, default=0, help="same seed, same performance (default 0)")


def _image_args(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--image", help="character image (PNG/JPEG/...); default: the bundled astronaut"
    )
    src.add_argument("--rig", help="a rig folder written by `openlpm rig` (skips the analysis)")
    p.add_argument(
        "--face", type=int, default=0, help="which face when there are several: 0 = largest"
    )


def _ref_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="PATH",
        help="another picture of the same character showing an expression (the mouth open "
        "with teeth, the eyes closed, a smile): its texture is used for that state; repeatable",
    )


def _video_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--size", type=_size, default=512, help="long side of the video in pixels (default 512)"
    )
    p.add_argument("--fps", type=_fps, default=25.0, help="frames per second (default 25)")


def _number(text: str, kind: type[int] | type[float], what: str) -> int | float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None


def _size(text: str) -> int:
    value = int(_number(text, int, "size"))
    if not 64 <= value <= 4096:
        raise argparse.ArgumentTypeError(f"size must be between 64 and 4096 pixels, got {value}")
    return value


def _faces(text: str) -> tuple[int, int]:
    try:
        faces = tuple(int(part) for part in text.split(","))
    except ValueError:
        faces = ()
    if len(faces) != 2 or min(faces) < 0 or faces[0] == faces[1]:
        raise argparse.ArgumentTypeError(
            f"give two different face numbers like 0,1 (0 = the largest face), got {text!r}"
        )
    return faces  # type: ignore[return-value]


def _fps(text: str) -> float:
    value = float(_number(text, float, "fps"))
    if not 1 <= value <= 120:
        raise argparse.ArgumentTypeError(f"fps must be between 1 and 120, got {text}")
    return value


def _load_rig(args: argparse.Namespace):  # -> Rig (imports kept lazy: the models load slowly)
    from openlpm.character.rig import Rig, build_rig
    from openlpm.io.images import load_image

    if args.rig:
        rig = Rig.load(args.rig)
        with _status("checking the references") as say, native_stderr_muted():
            rig = _with_refs(rig, args, say)
        return _noted(rig)
    image_path = args.image or bundled("astronaut.jpg")
    if args.image is None:
        _note(f"no --image given: using the bundled example {image_path.name}")
    image = load_image(image_path)
    with _status("analysing the character") as say, native_stderr_muted():
        rig = _with_refs(build_rig(image, face_index=args.face, progress=say), args, say)
    return _noted(rig)


def _with_refs(rig, args: argparse.Namespace, say: Callable[[str], None]):  # -> Rig
    from openlpm.character.reference import with_references

    paths = getattr(args, "ref", None) or []
    if not paths:
        return rig
    say("checking the expression references")
    return with_references(rig, paths)


def _noted(rig):  # -> Rig
    """Say what each reference was taken for (outside the muted analysis: stderr is live)."""
    for ref in rig.references:
        _note(f"reference {ref.describe()}")
    return rig


def _cmd_rig(args: argparse.Namespace) -> int:
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise InputError(f"the output {args.out} is a file, not a folder: give a rig folder")
    rig = _load_rig(args)
    try:
        folder = rig.save(args.out)
    except OSError as e:
        raise InputError(
            f"cannot write the rig to {args.out}: {e.strerror or e}; choose a writable folder"
        ) from e
    _note(f"wrote {folder}/ (rig.npz, rig.json, preview.png); {rig.size[0]}x{rig.size[1]}")
    return 0


def _cmd_puppet(args: argparse.Namespace) -> int:
    from openlpm.io.audio import load_audio
    from openlpm.motion.curves import read_curves

    _check_output(args.out, ".mp4")
    motion = args.motion or bundled("example_curves.csv")
    track = read_curves(motion, fps=args.fps)
    audio = load_audio(args.audio, sample_rate=48000) if args.audio else None
    rig = _load_rig(args)
    return _render([rig], [track], audio, args)


def _cmd_poses(args: argparse.Namespace) -> int:
    from openlpm.io.images import save_image
    from openlpm.render.contact_sheet import closeup_sheet, contact_sheet
    from openlpm.render.renderer import Renderer

    _check_output(args.out, ".png", ".jpg")
    rig = _load_rig(args)
    make = closeup_sheet if args.closeup else contact_sheet
    with _frame_bar("posing") as bar:
        sheet = make(Renderer(rig, args.size), progress=bar)
    save_image(args.out, sheet)
    _note(f"wrote {args.out}: {sheet.shape[1]}x{sheet.shape[0]}")
    return 0


DEMO_LINE = (
    "Hello! I am an open, real-time performer. Give me a picture and a voice, "
    "and I will speak, blink and move, on an ordinary computer."
)


def _direction(args: argparse.Namespace, fps: float, keep_rate: bool = True):  # -> Direction
    """What args ask the character to do; ``keep_rate`` keeps the audio's own rate (video)."""
    from openlpm.direct import Direction
    from openlpm.speak import SpeakOptions

    rate = None if keep_rate else 16000  # curves only: the analysis rate is enough
    speech = args.text if args.text is not None else _audio(args.audio, "--audio", rate)
    return Direction(
        speech=speech,
        user=_audio(args.listen, "--listen", rate),
        prompt=args.prompt,
        timeline=args.timeline,
        speak=SpeakOptions(
            mode=args.mode,
            fps=fps,
            seed=args.seed,
            transcript=args.transcript,
            language=args.language,
        ),
        voice=args.voice,
    )


def _audio(path: str | None, flag: str, rate: int | None):  # -> Audio | None
    from openlpm.io.audio import load_audio

    if path is None:
        return None
    audio = load_audio(path, sample_rate=rate)
    if len(audio.samples) == 0:
        raise InputError(f"{flag} {path} has no samples: give a recording with sound in it")
    return audio


def _performance(args: argparse.Namespace, fps: float, keep_rate: bool = True):  # -> Performance
    from openlpm.direct import direct

    direction = _direction(args, fps, keep_rate)
    with _status("preparing the performance") as say:
        say("speaking, listening, prompts")
        perf = direct(direction)
    for note in perf.notes:
        _note(note)
    return perf


def _cmd_render(args: argparse.Namespace) -> int:
    _check_output(args.out, ".mp4")
    if args.motion_out:
        _check_output(args.motion_out, ".csv")
    if args.audio2 is not None or args.faces is not None:
        return _render_dialogue(args)
    perf = _performance(args, args.fps)
    rig = _load_rig(args)
    if args.motion_out:
        _write_curves(perf.track, args.motion_out)
    return _render([rig], [perf.track], perf.audio, args)


def _render_dialogue(args: argparse.Namespace) -> int:
    """Two faces of one picture, each saying its own audio and listening to the other."""
    from dataclasses import replace

    from openlpm.direct import direct_dialogue

    if args.ref:
        raise InputError("--ref cannot go with --audio2 yet: render one character with its refs")
    if args.audio2 is None:
        raise InputError("--faces picks the faces of a dialogue: give --audio2 too (or use --face)")
    if args.rig or not args.image:
        raise InputError("--audio2 needs --image with two faces (a rig folder holds one character)")
    if args.listen:
        raise InputError("--listen cannot go with --audio2: the characters listen to each other")
    if args.audio is None and args.text is None:
        raise InputError("--audio2 is the second character's speech: give the first's (--audio)")
    first = _direction(args, args.fps)
    speech2 = _audio(args.audio2, "--audio2", None)
    second = replace(first, speech=speech2, prompt=None, timeline=None)
    rigs = _load_rigs(args.image, args.faces or (0, 1))
    with _status("preparing the dialogue") as say:
        say("two performances")
        perfs, mix = direct_dialogue([first, second])
    for note in perfs[0].notes:
        _note(note)
    if args.prompt or args.timeline:
        _note("--prompt and --timeline steer the first character (the one saying --audio)")
    if args.motion_out:
        _write_curves(perfs[0].track, args.motion_out)
    return _render(rigs, [p.track for p in perfs], mix, args)


def _load_rigs(image_path: str, faces: tuple[int, ...]):  # -> list[Rig]
    from openlpm.character.detect import detect_faces
    from openlpm.character.rig import analysis_size, rig_for
    from openlpm.io.images import load_image

    image = analysis_size(load_image(image_path))
    with _status("analysing the characters") as say, native_stderr_muted():
        say("detecting faces")
        found = detect_faces(image)
        if len(found) < 2:
            raise InputError(
                f"--audio2 needs a picture with two faces, and {image_path} has {len(found)}: "
                "give a picture of two people (or drop --audio2)"
            )
        if max(faces) >= len(found):
            raise InputError(
                f"--faces {','.join(map(str, faces))} asks for face {max(faces)}, but "
                f"{image_path} has {len(found)} faces (0..{len(found) - 1}, largest first)"
            )
        return [rig_for(image, found, i, progress=say) for i in faces]


def _render(rigs, tracks, audio, args: argparse.Namespace) -> int:
    """Render the characters (one track each) to args.out with a progress bar, then say what
    was written."""
    from openlpm.puppet import render_scene_video

    with _frame_bar("rendering") as bar:
        result = render_scene_video(
            rigs, tracks, args.out, size=args.size, audio=audio, progress=bar
        )
    _note(
        f"wrote {result.path}: {result.frames} frames, "
        f"{result.width}x{result.height}, {result.duration:.2f} s"
    )
    return 0


def _cmd_motion(args: argparse.Namespace) -> int:
    _check_output(args.out, ".csv")
    perf = _performance(args, args.fps, keep_rate=False)
    _write_curves(perf.track, args.out)
    _note(f"wrote {args.out}: {len(perf.track)} frames at {perf.track.fps:g} fps")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    image = bundled("astronaut.jpg")
    _note(f"demo: the bundled character {image.name} says a bundled line (built-in TTS)")
    if args.out == str(DEFAULT_OUT / "demo.mp4"):
        DEFAULT_OUT.mkdir(exist_ok=True)
    # the render command's own parser fills every option it has (a hand-built namespace
    # fell behind when render grew --language)
    render = ["render", "--image", str(image), "--text", DEMO_LINE, "--mode", args.mode]
    return _cmd_render(_parser().parse_args([*render, "-o", args.out]))


def _write_curves(track, path: str) -> None:
    from openlpm.io.atomic import atomic_path
    from openlpm.motion.curves import write_curves

    with atomic_path(path) as tmp:
        write_curves(track, tmp)


def _check_output(path: str, *suffixes: str) -> None:
    out = Path(path)
    suffix = " or ".join(suffixes)
    if out.suffix.lower() not in suffixes:
        raise InputError(f"the output {path} should end in {suffix}")
    if out.is_dir():
        raise InputError(f"the output {path} is a folder: give a file name ending in {suffix}")
    if not out.parent.exists():
        raise InputError(f"the folder {out.parent} does not exist: create it first")


def _note(message: str) -> None:
    print(f"openlpm: {message}", file=sys.stderr)


@contextmanager
def _status(title: str) -> Iterator[Callable[[str], None]]:
    from rich.console import Console

    console = Console(stderr=True)
    if not console.is_terminal:  # a log file gets the result lines only
        yield lambda _msg: None
        return
    with console.status(title) as status:
        yield lambda msg: status.update(f"{title}: {msg}")


@contextmanager
def _frame_bar(title: str) -> Iterator[Callable[[int, int], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _done, _total: None
        return
    columns = (f"[bold]{title}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(title, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


if __name__ == "__main__":
    raise SystemExit(main())
