"""Footprint: what an install costs and what a session holds.

    python benchmarks/bench_footprint.py [--seconds 20] [--install]

Prints:
- the virtual environment's size (this interpreter's prefix, all installed packages);
- the web app's start, from launching ``openlpm serve`` to the first video frame a client
  receives (rig built, models loaded, session started);
- a live session's RSS in steady state: the server process while one client streams speech
  to it for --seconds, before any free-text prompt, sampled every second (median of the last
  half) and at its peak; and the same for a plain Python process that runs one
  ``openlpm.Session`` (built from the bundled portrait) and speaks with ``say()``, with
  whether scipy got into it (38 MB: the live path should not need it);
- the first free-text prompt's time and memory, in a fresh process: the sentence model loads
  then (the vocabulary's phrasings come embedded, tools/store_prompt_phrasings.py);
- with --install, the time of ``pip install <this checkout>`` into a fresh virtual environment
  from an empty pip cache (minutes; downloads every wheel).

Targets (issue 14): venv <= 800 MB, session <= 200 MB RSS, first prompt <= 1.5 s and <= +100 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from openlpm.audio.tts import synthesize
from openlpm.server.binary import Kind
from openlpm.server.client import LiveClient
from openlpm.server.process import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
LINE = "Bob bought a map; Mama made pumpkin pie. Would you move the blue boat, Peter?"
FIRST_PROMPT = """
import time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
from openlpm.prompts.parse import parse_prompt
parse_prompt("smile")  # a keyword: no model needed
before, start = rss(), time.perf_counter()
plan = parse_prompt("gives a warm and friendly look of approval")
print(time.perf_counter() - start, before, rss(), [s.name for s in plan.steps])
"""


PLAIN_SESSION = """
import asyncio, sys, time
import numpy as np
import openlpm
from openlpm.audio.tts import synthesize
from openlpm.cli import bundled
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
LINE, SECONDS = sys.argv[1], float(sys.argv[2])
async def main():
    duration = synthesize(LINE).audio.duration
    async with openlpm.Session(image=bundled("astronaut.jpg"), size=512, fps=25.0) as session:
        samples, start, next_say, next_sample = [], time.monotonic(), 0.0, 1.0
        async for _ in session.frames():
            now = time.monotonic() - start
            if now >= next_say:  # speaking most of the time, with its words (lips from text)
                session.say(LINE)
                next_say += duration + 0.6
            if now >= next_sample:
                samples.append(rss())
                next_sample += 1.0
            if now >= SECONDS:
                break
    print(float(np.median(samples[len(samples) // 2 :])), max(samples), "scipy" in sys.modules)
asyncio.run(main())
"""


def folder_mb(path: Path) -> float:
    return (
        sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    )


def first_prompt() -> None:
    out = subprocess.run(
        [sys.executable, "-c", FIRST_PROMPT], capture_output=True, text=True, check=True
    )
    seconds, before, after, steps = out.stdout.strip().split(" ", 3)
    print(
        f"first free-text prompt: {float(seconds):.2f} s, RSS {float(before):.0f} -> "
        f"{float(after):.0f} MB (+{float(after) - float(before):.0f} MB); understood {steps}"
    )


async def _stream(url: str, seconds: float, server: ServerProcess, launched: float) -> list:
    audio = synthesize(LINE).audio.resampled(24000)
    pause = np.zeros(int(0.6 * audio.sample_rate), np.float32)
    samples = np.resize(np.concatenate([audio.samples, pause]), int(seconds * 24000))
    rss: list[float] = []
    async with await LiveClient.connect(url) as client:
        await client.hello(character="astronaut", size=512, fps=25.0)
        await client.next_frame()
        print(f"server start to first frame: {time.monotonic() - launched:.1f} s")

        async def sample() -> None:
            while True:
                rss.append(server.rss_mb())
                await asyncio.sleep(1.0)

        async def drain() -> None:
            while await client.next_frame() is not None:
                pass

        tasks = [asyncio.create_task(sample()), asyncio.create_task(drain())]
        await client.stream_audio(Kind.AGENT_AUDIO, samples, 24000, chunk_s=0.02)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return rss


def live_session(seconds: float) -> None:
    launched = time.monotonic()
    with ServerProcess() as server:
        rss = asyncio.run(_stream(server.url, seconds, server, launched))
    steady = float(np.median(rss[len(rss) // 2 :]))
    print(
        f"live session RSS (server, 1 client, 512 px 25 fps): steady {steady:.0f} MB, "
        f"peak {max(rss):.0f} MB over {seconds:g} s"
    )


def plain_session(seconds: float) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_SESSION, LINE, str(seconds)],
        capture_output=True,
        text=True,
        check=True,
    )
    steady, peak, scipy = out.stdout.split()
    print(
        f"live session RSS (a Python process, one openlpm.Session saying lines, 512 px 25 fps): "
        f"steady {float(steady):.0f} MB, peak {float(peak):.0f} MB over {seconds:g} s; "
        f"scipy loaded: {'yes' if scipy == 'True' else 'no'}"
    )


def install_time() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        venv, cache = Path(tmp) / "venv", Path(tmp) / "cache"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        start = time.monotonic()
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "--cache-dir", str(cache), str(ROOT)],
            check=True,
        )
        took = time.monotonic() - start
        print(f"install from an empty pip cache: {took:.0f} s; venv {folder_mb(venv):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="live session length")
    parser.add_argument("--install", action="store_true", help="also time a clean install")
    args = parser.parse_args()
    print(
        f"Python {sys.version.split()[0]}; venv {sys.prefix}: {folder_mb(Path(sys.prefix)):.0f} MB"
    )
    first_prompt()
    live_session(args.seconds)
    plain_session(args.seconds)
    if args.install:
        install_time()
    else:
        print("install from an empty pip cache: skipped (pass --install)")


if __name__ == "__main__":
    main()
