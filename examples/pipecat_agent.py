"""A local voice agent with a face: pipecat + openlpm over pipecat's self-hosted WebRTC.

    pip install -e ".[pipecat]"
    python examples/pipecat_agent.py --offline            # no key: listens, says typed lines
    OPENAI_API_KEY=... python examples/pipecat_agent.py --openai [--builtin-voice]

Open the printed address, press Connect, allow the microphone. The character listens while
you talk (nods, eye contact, mouth shut) and talks with lips in sync. ``--offline`` needs no
key and no network: there is no speech recognizer, so the agent says the lines you type (in
the page or in this terminal) with openlpm's built-in voice. ``--openai`` is a full agent:
OpenAI speech-to-text, an OpenAI LLM and OpenAI's voice (or ``--builtin-voice``); any other
pipecat STT/LLM/TTS services go in the same places in :func:`build_pipeline`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from aiohttp import web
from pipecat.frames.frames import LLMRunFrame, TTSSpeakFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport
from pipecat.workers.runner import WorkerRunner

from openlpm.integrations.pipecat import OpenLPMTTSService, OpenLPMVideoService

SIZE, FPS = 512, 25
SYSTEM = "You are a friendly character with a face. Answer in one or two short spoken sentences."

PAGE = """<!doctype html><meta charset="utf-8"><title>openlpm + pipecat</title>
<style>body{font:16px system-ui;margin:2em;background:#111;color:#eee}video{width:512px;
height:512px;background:#000;display:block;margin:1em 0}input{width:400px}</style>
<h1>openlpm + pipecat</h1><button id="go">Connect</button>
<video id="v" autoplay playsinline></video>
<form id="f"><input id="t" placeholder="a line for the character to say">
<button>Say</button></form>
<script>
const v = document.getElementById("v");
document.getElementById("go").onclick = async () => {
  const pc = new RTCPeerConnection();
  pc.ontrack = (e) => { v.srcObject = e.streams[0] || new MediaStream([e.track]); };
  const mic = await navigator.mediaDevices.getUserMedia({audio: true});
  mic.getTracks().forEach((t) => pc.addTrack(t, mic));
  pc.addTransceiver("video", {direction: "recvonly"});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((ok) => { if (pc.iceGatheringState === "complete") ok();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && ok(); });
  const r = await fetch("/api/offer", {method: "POST",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({sdp: pc.localDescription.sdp, type: pc.localDescription.type})});
  await pc.setRemoteDescription(await r.json());
};
document.getElementById("f").onsubmit = async (e) => {
  e.preventDefault(); const t = document.getElementById("t");
  await fetch("/api/say", {method: "POST", body: t.value}); t.value = "";
};
</script>"""


def build_pipeline(transport: SmallWebRTCTransport, args: argparse.Namespace) -> list:
    """The processors, in order: the face goes after the voice, before the output."""
    face = OpenLPMVideoService(image=args.image, size=SIZE, fps=FPS)
    if args.offline:
        return [transport.input(), OpenLPMTTSService(), face, transport.output()]
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
    from pipecat.services.openai.llm import OpenAILLMService
    from pipecat.services.openai.stt import OpenAISTTService
    from pipecat.services.openai.tts import OpenAITTSService

    context = LLMContext([{"role": "system", "content": SYSTEM}])
    pair = LLMContextAggregatorPair(context)
    voice = OpenLPMTTSService() if args.builtin_voice else OpenAITTSService()
    return [
        transport.input(), OpenAISTTService(), pair.user(), OpenAILLMService(),
        voice, face, transport.output(), pair.assistant(),
    ]  # fmt: skip


class Agent:
    """One pipeline per WebRTC connection (one browser at a time keeps the CPU for the face)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.worker: PipelineWorker | None = None
        self.runs: set[asyncio.Task] = set()

    async def offer(self, request: web.Request) -> web.Response:
        body = await request.json()
        connection = SmallWebRTCConnection()
        await connection.initialize(sdp=body["sdp"], type=body["type"])
        transport = SmallWebRTCTransport(
            connection,
            TransportParams(
                audio_in_enabled=True,
                audio_out_enabled=True,
                video_out_enabled=True,
                video_out_is_live=True,
                video_out_width=SIZE,
                video_out_height=SIZE,
                video_out_framerate=FPS,
            ),
        )
        if self.worker is not None:
            await self.worker.cancel()
        self.worker = PipelineWorker(
            Pipeline(build_pipeline(transport, self.args)), params=PipelineParams()
        )
        if not self.args.offline:

            @transport.event_handler("on_client_connected")
            async def greet(transport, client) -> None:
                await self.worker.queue_frame(LLMRunFrame())

        run = asyncio.create_task(WorkerRunner(handle_sigint=False).run(self.worker))
        self.runs.add(run)
        run.add_done_callback(self.runs.discard)
        return web.json_response(connection.get_answer())

    async def say(self, text: str) -> None:
        if self.worker is not None and text.strip():
            await self.worker.queue_frame(TTSSpeakFrame(text.strip()))

    async def say_request(self, request: web.Request) -> web.Response:
        await self.say(await request.text())
        return web.Response(text="ok")


async def read_terminal(agent: Agent) -> None:
    """Lines typed in this terminal are said too."""
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        await agent.say(line)


async def main(args: argparse.Namespace) -> None:
    agent = Agent(args)
    app = web.Application()
    app.router.add_get("/", lambda _: web.Response(text=PAGE, content_type="text/html"))
    app.router.add_post("/api/offer", agent.offer)
    app.router.add_post("/api/say", agent.say_request)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.port).start()
    print(f"open http://127.0.0.1:{args.port}/ and press Connect (Ctrl+C stops)", flush=True)
    try:
        if sys.stdin.isatty():
            await read_terminal(agent)
        await asyncio.Event().wait()
    finally:
        if agent.worker is not None:
            await agent.worker.cancel()
        await runner.cleanup()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--offline", action="store_true", help="no key: says the lines you type")
    mode.add_argument("--openai", action="store_true", help="OpenAI STT + LLM + TTS")
    p.add_argument("--builtin-voice", action="store_true", help="openlpm's voice, not OpenAI's")
    p.add_argument("--image", help="a portrait (default: the bundled astronaut)")
    p.add_argument("--port", type=int, default=7860)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(p.parse_args()))
