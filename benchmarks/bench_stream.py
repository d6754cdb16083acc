"""The live engine: latency, concurrent sessions, and a soak run. Prints its figures.

    python benchmarks/bench_stream.py latency  [--seconds 20] [--size 512]
    python benchmarks/bench_stream.py sessions [--seconds 10] [--sizes 512 256] [--max 8]
    python benchmarks/bench_stream.py soak     [--minutes 60] [--size 512] [--plot soak.png]

latency: audio pushed in real time (20 ms chunks of speech, as a microphone or a streaming
TTS sends it) -> the first frame made with it, as the consumer of Session.frames() gets it.
Measured for the user's audio (the listening path) and the agent's (the speaking path; its
voice and lips then play Session.delay_s later, the Online model's look-ahead).
sessions: N sessions in one process, each with a reader and speech, for --seconds; a size
"holds" N when every session delivers >= 24.5 fps with no dropped frame.
soak: one session on the virtual clock (as fast as the CPU goes) for --minutes of session
time, with speech, listening and prompts throughout; prints per-frame time and memory per
session minute (the curve) and the growth.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import numpy as np

LINE = (
    "Bob bought a map; Mama made pumpkin pie. Would you move the blue boat, Peter? "
    "It is lovely to see you again, and I hope the weather stays this nice."
)
CHUNK_S = 0.02


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def pcm16(x: np.ndarray) -> bytes:
    return (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()


def build_rig():
    from openlpm.character.rig import build_rig as build
    from openlpm.cli import bundled
    from openlpm.io.images import load_image

    return build(load_image(bundled("astronaut.jpg")))


async def feed(push, samples: np.ndarray, rate: int, seconds: float) -> None:
    """Push speech (looped) in real-time chunks for ``seconds``."""
    n = round(rate * CHUNK_S)
    x = np.resize(samples, int(seconds * rate))
    start = time.monotonic()
    for i, at in enumerate(range(0, len(x), n)):
        await asyncio.sleep(max(0.0, start + i * CHUNK_S - time.monotonic()))
        push(pcm16(x[at : at + n]), rate)


async def measure_latency(rig, size: int, seconds: float, role: str) -> dict:
    import openlpm
    from openlpm.audio.tts import synthesize

    speech = synthesize(LINE).audio
    lat = []
    async with openlpm.Session(rig=rig, size=size) as session:
        push = session.push_user_audio if role == "user" else session.push_agent_audio

        async def read() -> None:
            async for frame in session.frames():
                if frame.input_at is not None:
                    lat.append(time.monotonic() - frame.input_at)

        reader = asyncio.create_task(read())
        await asyncio.sleep(1.0)  # warm up
        await feed(push, speech.samples, speech.sample_rate, seconds)
        stats = session.stats
        delay = session.delay_s
    await reader
    ms = np.array(lat[25:]) * 1e3
    return dict(
        role=role,
        p50=np.percentile(ms, 50),
        p95=np.percentile(ms, 95),
        max=ms.max(),
        n=len(ms),
        dropped=stats.dropped,
        delay_ms=delay * 1e3,
        render_p50=stats.render_p50_ms,
        render_p95=stats.render_p95_ms,
    )


def cmd_latency(args: argparse.Namespace) -> None:
    rig = build_rig()
    print(
        f"audio-in -> frame-out latency, {args.size}x{args.size}, 25 fps, "
        f"{args.seconds:.0f} s of speech pushed in {CHUNK_S * 1e3:.0f} ms chunks"
    )
    for role in ("user", "agent"):
        r = asyncio.run(measure_latency(rig, args.size, args.seconds, role))
        extra = f"; voice+lips play {r['delay_ms']:.0f} ms later (look-ahead)" * (role == "agent")
        print(
            f"  {role:5s}: p50 {r['p50']:5.1f} ms  p95 {r['p95']:5.1f} ms  max "
            f"{r['max']:5.1f} ms  ({r['n']} frames, {r['dropped']} dropped; motion+render "
            f"p50 {r['render_p50']:.1f} / p95 {r['render_p95']:.1f} ms){extra}"
        )


async def run_sessions(rig, size: int, count: int, seconds: float) -> list:
    import openlpm
    from openlpm.audio.tts import synthesize

    speech = synthesize(LINE).audio
    sessions = [openlpm.Session(rig=rig, size=size, seed=i) for i in range(count)]
    got = [0] * count

    async def read(i: int) -> None:
        async for _ in sessions[i].frames():
            got[i] += 1

    readers = [asyncio.create_task(read(i)) for i in range(count)]
    await asyncio.sleep(1.0)
    before = [(s.stats.dropped, got[i]) for i, s in enumerate(sessions)]
    feeds = [
        feed(s.push_agent_audio, speech.samples, speech.sample_rate, seconds) for s in sessions
    ]
    t0 = time.monotonic()
    await asyncio.gather(*feeds)
    wall = time.monotonic() - t0
    result = [
        ((got[i] - b[1]) / wall, s.stats.dropped - b[0])
        for i, (s, b) in enumerate(zip(sessions, before, strict=True))
    ]
    for s in sessions:
        await s.aclose()
    await asyncio.gather(*readers)
    return result


def cmd_sessions(args: argparse.Namespace) -> None:
    rig = build_rig()
    for size in args.sizes:
        held = 0
        for count in range(1, args.max + 1):
            result = asyncio.run(run_sessions(rig, size, count, args.seconds))
            ok = all(fps >= 24.5 and dropped == 0 for fps, dropped in result)
            fps = " ".join(f"{f:.1f}" for f, _ in result)
            drops = sum(d for _, d in result)
            print(
                f"  {size}x{size} x{count}: fps [{fps}] dropped {drops} -> "
                f"{'holds' if ok else 'FAILS'}"
            )
            if not ok:
                break
            held = count
        print(f"{size}x{size}: {held} concurrent session(s) hold 25 fps with no drops")


def cmd_soak(args: argparse.Namespace) -> None:
    import openlpm
    from openlpm.audio.tts import synthesize

    rig = build_rig()
    fps, frames_per_min = 25, 25 * 60
    total = int(args.minutes * frames_per_min)
    agent = synthesize(LINE).audio
    user = synthesize("Yes, I see. That sounds right to me, go on.").audio
    prompts = ["smile", "nod twice", "happy", "look left, then look right", "neutral"]
    session = openlpm.Session(rig=rig, size=args.size, realtime=False)
    curve = []
    t_min, times = time.perf_counter(), []
    last = time.perf_counter()
    for i, _frame in enumerate(session.iter_frames()):
        now = time.perf_counter()
        times.append(now - last)
        last = now
        if i % (15 * fps) == 0:  # every 15 s of session time: a line, a reply, a prompt
            if session.stats.agent_buffered_s < 1.0:  # the last line has played out
                session.push_agent_samples(agent.samples, agent.sample_rate)
            session.push_user_samples(user.samples, user.sample_rate)
            session.prompt(prompts[(i // (15 * fps)) % len(prompts)])
        if (i + 1) % frames_per_min == 0:
            ms = np.array(times) * 1e3
            curve.append((len(curve) + 1, ms.mean(), np.percentile(ms, 95), rss_mb()))
            m, mean, p95, rss = curve[-1]
            print(
                f"  minute {m:3d}: {mean:5.2f} ms/frame (p95 {p95:5.2f})  rss {rss:7.1f} MB"
                f"  [{time.perf_counter() - t_min:6.0f} s wall]",
                flush=True,
            )
            times = []
        if i + 1 >= total:
            break
    session.close()
    c = np.array(curve)
    skip = min(2, len(c) - 1)  # allocator warm-up
    growth = c[-1, 3] - c[skip, 3]
    slope = np.polyfit(c[skip:, 0], c[skip:, 1], 1)[0] if len(c) - skip > 2 else 0.0
    print(
        f"soak: {args.minutes:.0f} min of session time at {args.size}x{args.size}: "
        f"per-frame {c[skip:, 1].mean():.2f} ms (slope {slope * 60:+.3f} ms/hour), "
        f"memory growth after minute {skip}: {growth:+.1f} MB"
    )
    if args.plot:
        plot(c, args.plot)


def plot(c: np.ndarray, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(c[:, 0], c[:, 1], label="ms/frame (mean)")
    ax.plot(c[:, 0], c[:, 2], label="ms/frame (p95)")
    ax.set_xlabel("session minute")
    ax.set_ylabel("ms")
    ax2 = ax.twinx()
    ax2.plot(c[:, 0], c[:, 3], "k--", label="RSS MB")
    ax2.set_ylabel("MB")
    fig.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"wrote {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    lat = sub.add_parser("latency")
    lat.add_argument("--seconds", type=float, default=20.0)
    lat.add_argument("--size", type=int, default=512)
    ses = sub.add_parser("sessions")
    ses.add_argument("--seconds", type=float, default=10.0)
    ses.add_argument("--sizes", type=int, nargs="+", default=[512, 256])
    ses.add_argument("--max", type=int, default=8)
    soak = sub.add_parser("soak")
    soak.add_argument("--minutes", type=float, default=60.0)
    soak.add_argument("--size", type=int, default=512)
    soak.add_argument("--plot", help="write the curve to this PNG")
    args = parser.parse_args()
    {"latency": cmd_latency, "sessions": cmd_sessions, "soak": cmd_soak}[args.cmd](args)


if __name__ == "__main__":
    main()
