"""Wire an agent's voice to a live face with openlpm.Session, and record the result.

    python examples/agent_face.py [--image face.png] [-o agent.mp4] [--say "..."]

What it shows, in the order an agent would do it:
1. a session (the bundled astronaut by default), recorded to an mp4 by a sink;
2. the character listens while "the user" speaks (audio pushed as a microphone would,
   20 ms of 16 kHz PCM at a time);
3. the agent answers: its TTS audio streamed in as 24 kHz PCM chunks (what a streaming TTS
   or a realtime voice API delivers), with a prompt to steer the face;
4. frames consumed with ``async for``, as a UI would show them, with the session's stats.
The built-in eSpeak NG voice stands in for both the user and your agent's TTS.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import numpy as np

import openlpm
from openlpm.audio.tts import synthesize
from openlpm.sinks.mp4 import Mp4Sink


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


async def stream_audio(push, samples: np.ndarray, rate: int, chunk_s: float = 0.02) -> None:
    """Push audio in real-time chunks, as it would arrive from a microphone or a socket."""
    n, start = round(rate * chunk_s), time.monotonic()
    for i, at in enumerate(range(0, len(samples), n)):
        await asyncio.sleep(max(0.0, start + i * chunk_s - time.monotonic()))
        push(pcm16(samples[at : at + n]), rate)


async def main(image: str | None, out: str, line: str) -> None:
    question = synthesize("Hi! Can you tell me what you can do?", "en-gb").audio
    answer = synthesize(line).audio.resampled(24000)  # your agent's TTS, at 24 kHz
    # Building the character takes a second or two: off the event loop.
    session = await asyncio.to_thread(openlpm.Session, image=image, sinks=[Mp4Sink(out, 25, 24000)])
    shown = 0

    async def show() -> None:  # a UI: draw frame.image, play frame.agent_audio
        nonlocal shown
        async for frame in session.frames():
            shown += 1
            if frame.index % 25 == 0:
                s = session.stats
                print(
                    f"t={frame.pts:5.2f}s speaking={frame.speaking!s:5} "
                    f"listening={frame.listening!s:5} fps={s.fps:4.1f} "
                    f"latency p50={s.latency_p50_ms or 0:4.0f} ms dropped={s.dropped}"
                )

    viewer = asyncio.create_task(show())
    await asyncio.sleep(1.0)  # idle: it breathes, blinks, looks around
    await stream_audio(session.push_user_audio, question.resampled(16000).samples, 16000)
    await asyncio.sleep(0.6)  # the agent thinks
    plan = await session.aprompt("smile warmly, then nod")
    print("prompt:", plan.describe(), "| not understood:", plan.not_understood or "-")
    await stream_audio(session.push_agent_audio, answer.samples, 24000)
    await asyncio.sleep(1.5 + session.delay_s)  # let the last words play out
    await session.aclose()  # ends frames(), finalises the mp4
    await viewer
    print(f"{shown} frames shown; recorded to {out}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--image", help="a portrait (default: the bundled astronaut)")
    p.add_argument("-o", "--out", default="agent.mp4", help="the recording (default agent.mp4)")
    p.add_argument(
        "--say",
        default="Sure! I can talk, listen and smile, all in real time, on an ordinary processor.",
        help="the agent's answer",
    )
    args = p.parse_args()
    asyncio.run(main(args.image, args.out, args.say))
