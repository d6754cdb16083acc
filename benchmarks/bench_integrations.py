"""Figures for the integrations' docs: a LiveKit avatar session's CPU and memory (fleet
sizing), and the OBS overlay's frame rate and bandwidth at 512x512.

    python benchmarks/bench_integrations.py livekit [--seconds 20]   # needs openlpm[livekit]
    python benchmarks/bench_integrations.py overlay [--seconds 10]

CPU is process CPU time over wall time while a session talks (1.0 = one core busy); memory
is the resident set before and after the session is built, and its peak while it runs. On a
shared machine the CPU share is the honest figure: frames dropped for want of CPU cost none.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

import numpy as np

from openlpm.audio.tts import synthesize

LINE = "Hello there, I am your avatar. I talk, I listen, and I run on an ordinary processor."


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def livekit(seconds: float) -> None:
    from livekit import rtc
    from livekit.agents.voice.avatar import AudioSegmentEnd

    from openlpm.integrations.livekit import OpenLPMVideoGenerator

    before = rss_mb()
    gen = await asyncio.to_thread(OpenLPMVideoGenerator, size=512, fps=25)
    built = rss_mb()
    speech = synthesize(LINE).audio.resampled(24000)
    pcm = (speech.samples * 32767).astype("<i2")
    counts = {"video": 0, "audio": 0}

    async def read() -> None:
        async for item in gen:
            if isinstance(item, rtc.VideoFrame):
                counts["video"] += 1
            elif isinstance(item, rtc.AudioFrame):
                counts["audio"] += 1

    reader = asyncio.create_task(read())
    await asyncio.sleep(1.0)
    t0, c0, peak = time.monotonic(), cpu_s(), rss_mb()
    while time.monotonic() - t0 < seconds:  # talking back to back, 20 ms frames as LiveKit sends
        for at in range(0, len(pcm), 480):
            chunk = pcm[at : at + 480]
            await gen.push_audio(rtc.AudioFrame(chunk.tobytes(), 24000, 1, len(chunk)))
        await gen.push_audio(AudioSegmentEnd())
        await asyncio.sleep(speech.duration)
        peak = max(peak, rss_mb())
    wall, cpu = time.monotonic() - t0, cpu_s() - c0
    stats = gen.session.stats
    await gen.aclose()
    reader.cancel()
    print(f"livekit avatar session, 512x512 at 25 fps, talking for {wall:.0f} s:")
    per_frame = cpu / max(counts["video"], 1)
    print(f"  CPU {cpu / wall:.2f} cores; video frames out {counts['video'] / wall:.1f}/s")
    print(f"  CPU per frame {per_frame * 1000:.0f} ms: {per_frame * 25:.2f} cores at a full 25 fps")
    print(f"  engine: render p50 {stats.render_p50_ms:.1f} ms, dropped {stats.dropped}")
    print(f"  memory: {before:.0f} MB before, {built:.0f} MB with the session, peak {peak:.0f} MB")


async def overlay(seconds: float) -> None:
    import aiohttp

    from openlpm.server.client import LiveClient
    from openlpm.server.overlay import decode_overlay
    from openlpm.server.process import ServerProcess

    with ServerProcess() as server:
        url = server.wait_warm().url
        client = await LiveClient.connect(url)
        await client.hello(size=512)
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(url + "/overlay/ws", max_msg_size=0)
            await ws.receive()  # the overlay's hello
            await client.send("say", text=LINE)
            n, size, t0, alpha_bytes = 0, 0, time.monotonic(), 0
            while (left := seconds - (time.monotonic() - t0)) > 0:
                try:
                    msg = await asyncio.wait_for(ws.receive(), left)
                except TimeoutError:
                    break
                n, size = n + 1, size + len(msg.data)
                if n == 1:
                    _, rgba = decode_overlay(msg.data)
                    alpha_bytes = len(msg.data)
            wall = time.monotonic() - t0
        await client.close()
        print(f"overlay at 512: {n / wall:.1f} fps, {size / wall / 1000:.0f} kB/s "
              f"({size * 8 / wall / 1e6:.1f} Mbit/s), {size / max(n, 1) / 1000:.1f} kB a frame "
              f"(first frame {alpha_bytes / 1000:.1f} kB, {rgba.shape[1]}x{rgba.shape[0]}, "
              f"{np.mean(rgba[..., 3] > 128):.0%} opaque)")  # fmt: skip
        print(f"server RSS {server.rss_mb():.0f} MB")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("what", choices=("livekit", "overlay"))
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args()
    asyncio.run(livekit(args.seconds) if args.what == "livekit" else overlay(args.seconds))
