"""A live session's process stays light: no scipy in it (38-42 MB of RSS for as long as it runs),
no PyAV (its libav libraries: reading and writing files needs it, a live session does not)
and no onnxruntime session once its rig is built (the VAD runs in numpy; the face models'
sessions are dropped after the build).

Each check runs a real live session in a fresh Python (sys.modules of this test process says
nothing) and names the openlpm module that imported scipy or av, if one did. The rig build may use
scipy, in a child process (openlpm.character.delaunay).
"""

from __future__ import annotations

import subprocess
import sys

# Records, for scipy and for PyAV, the innermost openlpm source line that first asked for it.
_WATCH = """
import sys, traceback
class _Watch:
    first = {}
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in ("scipy", "av") and top not in self.first:
            frames = [f for f in traceback.extract_stack() if "/openlpm/" in f.filename]
            last = frames[-1] if frames else None
            place = f"{last.filename.split('/openlpm/')[-1]}:{last.lineno}" if last else "?"
            self.first[top] = place
        return None
_watch = _Watch()
sys.meta_path.insert(0, _watch)
def report():
    for top in ("scipy", "av"):
        print(f"{top} imported:", _watch.first.get(top, "?") if top in sys.modules else "no")
"""

# A live session of the bundled portrait speaking; AT_FRAME_50 runs on its 50th frame.
_SESSION_TEMPLATE = """
import asyncio, gc
import openlpm
async def main():
    async with openlpm.Session(size=256, fps=25.0) as session:
        session.say("Bob bought a map; would you move the blue boat?")
        count = 0
        async for _ in session.frames():
            count += 1
            if count == 50:
                AT_FRAME_50
                break
asyncio.run(main())
"""
_SESSION = _SESSION_TEMPLATE.replace("AT_FRAME_50", "pass") + "report()\n"

_SERVER = """
import asyncio
import numpy as np
from aiohttp import web
from openlpm.server.app import create_app
from openlpm.server.binary import Kind
from openlpm.server.client import LiveClient
from openlpm.server.config import ServerConfig
async def main():
    runner = web.AppRunner(create_app(ServerConfig(port=0)), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with await LiveClient.connect(f"http://127.0.0.1:{port}/") as client:
            await client.hello(character="astronaut", size=256, fps=25.0)
            await client.send("say", text="Bob bought a map.", id=1)
            tone = 0.1 * np.sin(np.arange(24000) * 2 * np.pi * 180 / 24000)
            await client.stream_audio(Kind.USER_AUDIO, tone.astype(np.float32), 24000)
            async for _ in client.frames(1.0):
                pass
    finally:
        await runner.cleanup()
asyncio.run(main())
report()
"""


def _import_report(program: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _WATCH + program], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-2:]


def test_a_live_session_imports_neither_scipy_nor_pyav() -> None:
    report = _import_report(_SESSION)
    assert report == ["scipy imported: no", "av imported: no"], report


def test_the_web_app_with_a_live_session_imports_neither_scipy_nor_pyav() -> None:
    report = _import_report(_SERVER)
    assert report == ["scipy imported: no", "av imported: no"], report


# Counts the onnxruntime sessions alive while the session runs (after its rig build and VAD use).
_ONNX_SESSIONS = _SESSION_TEMPLATE.replace(
    "AT_FRAME_50",
    "print(sum(type(o).__name__ == 'InferenceSession' and 'onnxruntime' in type(o).__module__"
    " for o in gc.get_objects()))",
)


def test_a_live_session_holds_no_onnxruntime_session() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _ONNX_SESSIONS], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "0", out.stdout
