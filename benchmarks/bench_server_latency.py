"""Audio in -> frame out latency over the WebSocket, at 512x512 25 fps (targets: p50 <= 60 ms,
p95 <= 100 ms), frames/s received, and how many sessions hold real time at once.

    python benchmarks/bench_server_latency.py [--seconds 20] [--sessions 1] [--size 512]
                                              [--kind agent|user] [--chunk-ms 20]
                                              [--url http://host:port]

Starts ``openlpm serve`` in a child process (unless --url), connects --sessions clients at
once, and streams TTS speech (with pauses) in PCM16 chunks (20 ms by default), paced in
real time.

Latency (docs/protocol.md, "Latency"): for an audio chunk, from the client sending it to the
client receiving the first frame whose ``ack`` is that chunk's ``seq``, i.e. the first frame
made with that audio, on the client's own clock. It includes the network both ways, waiting
for the next frame tick (0-40 ms at 25 fps), motion, render, JPEG encoding and queueing.

Audible latency (what a listener waits): for each chunk, from the client sending it to the
client receiving the frame that carries the chunk's first sample, plus that sample's offset in
the frame's sound (the frame's sound plays from its arrival). The sound is found in the frames
by content (PCM16 at the sent rate comes back sample for sample), so the look-ahead, the
engine's playout buffer and every queue are counted as they are, not assumed. Voice and lips
leave together (one frame carries both), so this is the latency of both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import urllib.request

import numpy as np

from openlpm.audio.tts import synthesize
from openlpm.server.binary import Kind
from openlpm.server.client import Frame, LiveClient
from openlpm.server.process import ServerProcess

LINE = "Bob bought a map; Mama made pumpkin pie. Would you move the blue boat, Peter?"


def speech_loop(seconds: float, rate: int) -> tuple[np.ndarray, int]:
    audio = synthesize(LINE).audio.resampled(rate)
    pause = np.zeros(int(0.6 * audio.sample_rate), np.float32)
    one = np.concatenate([audio.samples, pause])
    return np.resize(one, int(seconds * audio.sample_rate)), audio.sample_rate


def audible_latency(
    frames: list[Frame], sent: np.ndarray, step: int, sent_at: dict[int, float]
) -> np.ndarray:
    """Seconds from sending each speech chunk (seq 1, 2, ... of ``step`` samples of
    ``sent``, int16) to receiving the frame that plays its first sample, plus its offset in
    that frame's sound. Frames are matched to ``sent`` by their sound, in order."""
    heard: dict[int, float] = {}
    where = 0  # where in ``sent`` the last matched frame ended
    for frame in frames:
        start = _find(frame.audio, sent, where)
        if start is None:
            continue
        end = start + frame.audio.size
        where = end
        for chunk in range(-(-start // step), -(-end // step)):
            offset = (chunk * step - start) / frame.header.audio_rate
            heard.setdefault(chunk + 1, frame.received_at + offset)
    speech = [s for s in heard if s in sent_at and sent[(s - 1) * step : s * step].any()]
    return np.array([heard[s] - sent_at[s] for s in speech])


def _find(sound: np.ndarray, sent: np.ndarray, after: int, probe: int = 48) -> int | None:
    """Where ``sound`` (its first non-silent samples) starts in ``sent``, at or near
    ``after`` (a frame's sound never starts more than a second before the last one's end)."""
    loud = np.flatnonzero(sound)
    if loud.size == 0 or sound.size - loud[0] < probe:
        return None
    first, key = int(loud[0]), sound[loud[0] : loud[0] + probe]
    lo = max(0, after - len(sent) // 4)
    for at in np.flatnonzero(sent[lo:] == key[0]) + lo:
        if at >= first and np.array_equal(sent[at : at + probe], key):
            return int(at) - first
    return None


async def one_session(url: str, args: argparse.Namespace, kind: Kind) -> dict:
    samples, rate = speech_loop(args.seconds, args.rate)
    async with await LiveClient.connect(url) as client:
        await client.hello(character="astronaut", size=args.size, fps=args.fps)
        frames: list[Frame] = []

        async def collect() -> None:
            while (frame := await client.next_frame()) is not None:
                frames.append(frame)

        collector = asyncio.create_task(collect())
        await asyncio.sleep(1.0)  # settle
        start = time.monotonic()
        await client.stream_audio(kind, samples, rate, chunk_s=args.chunk_ms / 1000.0)
        end = time.monotonic()
        await asyncio.sleep(0.5)
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
        mark = len(client.messages)
        await client.send("stats")
        stats = await client.wait_for("stats", after=mark)
    seen: dict[int, float] = {}
    for frame in frames:
        seen.setdefault(frame.header.ack, frame.received_at)
    latencies = [seen[s] - t for s, t in client.sent_at.items() if s in seen]
    inside = [f for f in frames if start <= f.received_at <= end]
    sent = np.round(np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    step = max(1, round(rate * args.chunk_ms / 1000.0))
    audible = (
        audible_latency(frames, sent, step, client.sent_at) if kind == Kind.AGENT_AUDIO else None
    )
    return {
        "latency_ms": np.array(latencies) * 1000.0,
        "audible_ms": None if audible is None else audible * 1000.0,
        "fps": len(inside) / (end - start),
        "acked": len(latencies) / max(1, len(client.sent_at)),
        "stats": stats,
    }


def report(i: int, r: dict) -> None:
    lat, aud = r["latency_ms"], r["audible_ms"]
    p50, p95 = np.percentile(lat, 50), np.percentile(lat, 95)
    s = r["stats"]
    if aud is not None and aud.size:
        print(
            f"  session {i}: audible latency (voice and lips) p50 {np.percentile(aud, 50):.0f} ms"
            f", p95 {np.percentile(aud, 95):.0f} ms over {aud.size} speech chunks (target p50 "
            "<= 100 ms)"
        )
    print(
        f"  session {i}: {r['fps']:.1f} frames/s received; latency p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms, max {lat.max():.0f} ms over {lat.size} chunks "
        f"({r['acked']:.0%} acked); "
        f"engine dropped {s['dropped']}, send dropped {s['send_dropped']}, "
        f"render p50 {s['render_p50_ms']} ms; inside the server (engine) latency p50 "
        f"{s['latency_p50_ms']} ms, p95 {s['latency_p95_ms']} ms"
    )


async def run(url: str, args: argparse.Namespace) -> list[dict]:
    kind = Kind.AGENT_AUDIO if args.kind == "agent" else Kind.USER_AUDIO
    return await asyncio.gather(*(one_session(url, args, kind) for _ in range(args.sessions)))


def wait_warm(url: str, timeout: float = 180.0) -> None:
    """Until the server has built the default rig and loaded its models."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "/api/info", timeout=10) as response:
            if json.load(response)["warm"]:
                return
        time.sleep(0.2)
    raise TimeoutError("the server did not warm up")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--kind", choices=("agent", "user"), default="agent")
    parser.add_argument("--chunk-ms", type=float, default=20.0, help="audio chunk length")
    parser.add_argument("--rate", type=int, default=24000, help="audio sample rate sent (Hz)")
    parser.add_argument("--url", help="an already running server (default: start one)")
    args = parser.parse_args()
    print(
        f"{args.sessions} session(s), {args.size}px {args.fps:g} fps, {args.kind} audio "
        f"at {args.rate} Hz streamed for {args.seconds:g} s in {args.chunk_ms:g} ms chunks"
    )
    if args.url:
        results = asyncio.run(run(args.url, args))
    else:
        with ServerProcess(["--max-sessions", str(max(4, args.sessions))]) as server:
            wait_warm(server.url)
            results = asyncio.run(run(server.url, args))
    for i, r in enumerate(results):
        report(i, r)
    lat = np.concatenate([r["latency_ms"] for r in results])
    print(
        f"all: latency p50 {np.percentile(lat, 50):.0f} ms, p95 {np.percentile(lat, 95):.0f} ms"
        f" (targets 60 / 100); worst session {min(r['fps'] for r in results):.1f} frames/s"
    )


if __name__ == "__main__":
    main()
