"""The server over real sockets: handshake, bad input, limits, backpressure, disconnects.

A real ``openlpm serve`` runs in a child process on a free port; the tests talk to it with the
package's Python client (aiohttp), as any program would. Every bad message must get a clear
error (and leave the connection usable where that makes sense); no client, however badly it
behaves, may grow the server's memory or leave a task or thread behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
import urllib.request
import zlib
from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from openlpm.cli import bundled
from openlpm.io.audio import Audio, write_wav
from openlpm.server.binary import Kind
from openlpm.server.client import LiveClient, ServerError
from openlpm.server.process import ServerProcess

MAX_SESSIONS = 4


def wait_until(check, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess(["--max-sessions", str(MAX_SESSIONS)]) as srv:
        srv.wait_warm()
        yield srv


def run(coro):
    return asyncio.run(coro)


async def _hello(server: ServerProcess, **fields) -> LiveClient:
    client = await LiveClient.connect(server.url)
    await client.wait_for("welcome")
    await client.hello(**fields)
    return client


async def _error_after(client: LiveClient, send) -> dict:
    """Send something bad; return the error it earns, checking the connection still works."""
    mark = len(client.messages)
    await send()
    error = await client.wait_for("error", 30, after=mark)
    assert not error["fatal"]
    mark = len(client.messages)
    await client.send("ping", t=1.5)
    assert (await client.wait_for("pong", 10, after=mark))["t"] == 1.5
    return error


# ---------------------------------------------------------------------------------- HTTP


def test_page_and_info_are_served(server: ServerProcess) -> None:
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:
        page = response.read().decode()
    assert "openlpm" in page and "/static/app.js" in page
    info = server.info()
    assert [c["id"] for c in info["characters"]] == ["astronaut", "monalisa"]
    assert info["max_sessions"] == MAX_SESSIONS and not info["token_required"]
    with urllib.request.urlopen(server.url + "/characters/monalisa", timeout=10) as response:
        assert response.read()[:2] == b"\xff\xd8"  # a JPEG


# ---------------------------------------------------------------------------------- session


def test_hello_ready_and_frames(server: ServerProcess) -> None:
    async def go() -> None:
        async with await LiveClient.connect(server.url) as client:
            welcome = await client.wait_for("welcome")
            assert welcome["protocol"] == 1 and welcome["default"] == "astronaut"
            ready = await client.hello(character="monalisa", size=256, id="h1")
            assert ready["character"] == "monalisa" and ready["id"] == "h1"
            frames = [f async for f in client.frames(1.5)]
            assert len(frames) >= 20
            rgb = frames[-1].rgb()
            assert max(rgb.shape[:2]) == 256
            assert frames[-1].header.audio_rate == 24000
            assert all(b.pts > a.pts for a, b in itertools.pairwise(frames))
            mark = len(client.messages)
            await client.send("stats", id=9)
            stats = await client.wait_for("stats", after=mark)
            assert stats["sent"] >= 20 and "latency_p50_ms" in stats

    run(go())


def test_prompt_reports_what_was_not_understood(server: ServerProcess) -> None:
    async def go() -> None:
        async with await _hello(server) as client:
            await client.send("prompt", text="smile, then juggle flaming torches", id=3)
            result = await client.wait_for("prompt_result", 30)
            assert "smile" in result["understood"] and result["id"] == 3
            assert any("juggle" in part for part in result["not_understood"])

    run(go())


def test_say_and_stop(server: ServerProcess) -> None:
    async def go() -> None:
        async with await _hello(server) as client:
            await client.send("say", text="Hello there, it is good to see you again.", id=1)
            ack = await client.wait_for("ack")
            assert ack["of"] == "say" and ack["duration"] > 1.0
            await asyncio.sleep(0.5)
            mark = len(client.messages)
            await client.send("stop", id=2)
            stop = await client.wait_for("ack", after=mark)
            assert stop["of"] == "stop" and stop["dropped_s"] > 0.3

    run(go())


# ---------------------------------------------------------------------------------- bad input


def test_bad_messages_get_clear_errors_and_the_connection_stays(server: ServerProcess) -> None:
    async def go() -> None:
        async with await LiveClient.connect(server.url) as client:
            await client.wait_for("welcome")
            send = client.ws.send_str
            early = await _error_after(client, lambda: send('{"type": "say", "text": "hi"}'))
            assert early["code"] == "not_ready" and "hello" in early["message"]
            bad = await _error_after(client, lambda: send("{oops"))
            assert bad["code"] == "bad_json" and "JSON" in bad["message"]
            unknown = await _error_after(client, lambda: send('{"type": "dance"}'))
            assert unknown["code"] == "unknown_type" and "say" in unknown["message"]
            huge = json.dumps({"type": "say", "x": "a" * 20000})
            long = await _error_after(client, lambda: send(huge))
            assert long["code"] == "too_big"
            await client.hello()
            odd = await _error_after(client, lambda: client.ws.send_bytes(_pcm(b"\0\0\0")))
            assert odd["code"] == "bad_audio" and "odd" in odd["message"]
            wav = await _error_after(
                client, lambda: client.ws.send_bytes(_pcm(b"RIFF" + bytes(40)))
            )
            assert wav["code"] == "bad_audio" and "0x03" in wav["message"]
            rate = await _error_after(client, lambda: client.ws.send_bytes(_pcm(b"\0\0", 3)))
            assert rate["code"] == "bad_audio"
            kind = await _error_after(client, lambda: client.ws.send_bytes(b"\x7f" + bytes(13)))
            assert kind["code"] == "bad_binary"
            who = await _error_after(client, lambda: client.send("character", character="bob"))
            assert who["code"] == "bad_field" and "monalisa" in who["message"]

    run(go())


def _pcm(payload: bytes, rate: int = 16000) -> bytes:
    from openlpm.server.binary import pack_client

    return pack_client(Kind.USER_AUDIO, payload, rate, 1)


def _png_bomb(side: int) -> bytes:
    """A valid grey PNG of side x side pixels that compresses ~1000:1 (all black)."""
    packer = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte + pixels
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")

    ihdr = side.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_bad_uploads_are_refused_and_the_character_stays(server: ServerProcess) -> None:
    jpeg = bundled("monalisa.jpg").read_bytes()
    _, blank = cv2.imencode(".png", np.full((300, 300, 3), 128, np.uint8))
    bomb = _png_bomb(8000)  # 64 megapixels in ~60 KB
    assert len(bomb) < 200_000

    async def go() -> None:
        async with await _hello(server, character="monalisa") as client:
            upload = client.send_file
            cases = [
                (b"hello, not a picture", "bad_image", "PNG or JPEG"),
                (jpeg[: len(jpeg) // 2], "bad_image", "truncated"),
                (bomb, "bad_image", "megapixels"),
                (blank.tobytes(), "no_face", "face"),
            ]
            for data, code, words in cases:
                error = await _error_after(client, lambda d=data: upload(Kind.IMAGE, d))
                assert error["code"] == code and words in error["message"], error
            not_audio = await _error_after(
                client, lambda: upload(Kind.AGENT_AUDIO_FILE, b"x" * 999)
            )
            assert not_audio["code"] == "bad_audio"
            frames = [f async for f in client.frames(0.5)]  # Mona Lisa is still there
            assert frames and not any(
                m["type"] == "ready" and m["epoch"] > 1 for m in client.messages
            )

    run(go())


def test_uploads_that_work(server: ServerProcess, tmp_path) -> None:
    speech = Audio(0.3 * np.sin(np.linspace(0, 2000, 24000)).astype(np.float32), 16000)
    write_wav(tmp_path / "speech.wav", speech)

    async def go() -> None:
        async with await _hello(server) as client:
            mark = len(client.messages)
            await client.send_file(Kind.IMAGE, bundled("monalisa.jpg").read_bytes())
            ready = await client.wait_for("ready", 60, after=mark)
            assert ready["character"] == "upload" and ready["epoch"] == 2
            await client.send_file(Kind.AGENT_AUDIO_FILE, (tmp_path / "speech.wav").read_bytes())
            ack = await client.wait_for("ack", 30, after=mark)
            assert ack["of"] == "audio_file" and ack["duration"] == pytest.approx(1.5, abs=0.01)

    run(go())


def test_a_message_over_the_hard_cap_ends_only_its_connection(server: ServerProcess) -> None:
    async def go() -> None:
        async with await _hello(server) as client:
            with contextlib.suppress(ConnectionError):  # the server stops reading at once
                await client.send_file(Kind.IMAGE, bytes(13_000_000))
            await client.wait_closed(30)
            # 1009 (message too big) when the close frame arrives before the reset of the
            # unread upload, 1006 (abnormal) otherwise: either way the socket is closed.
            assert client.ws.close_code in (1006, 1009)
        async with await _hello(server) as again:  # the server itself is fine
            assert [f async for f in again.frames(0.5)]

    run(go())


# ---------------------------------------------------------------------------------- limits


def test_twenty_connections_at_once_get_a_clear_refusal(server: ServerProcess) -> None:
    wait_until(lambda: server.info()["sessions"] == 0, 30, "earlier sessions to end")

    async def go() -> None:
        started = time.monotonic()
        clients = await asyncio.gather(*(LiveClient.connect(server.url) for _ in range(20)))
        try:
            firsts = await asyncio.gather(*(_first_message(c) for c in clients))
            elapsed = time.monotonic() - started
        finally:
            await asyncio.gather(*(c.close() for c in clients))
        welcomed = [m for m in firsts if m["type"] == "welcome"]
        refused = [m for m in firsts if m["type"] == "error"]
        assert len(welcomed) == MAX_SESSIONS and len(refused) == 20 - MAX_SESSIONS
        assert all(m["code"] == "busy" and "--max-sessions" in m["message"] for m in refused)
        closed = [c for c in clients if c.ws.close_code == 1013]  # Try Again Later
        assert len(closed) == 20 - MAX_SESSIONS
        assert elapsed < 10  # refused at once, not left hanging

    run(go())
    wait_until(lambda: server.info()["sessions"] == 0, 30, "the sessions to end")


async def _first_message(client: LiveClient) -> dict:
    """The first message (welcome or refusal); after a refusal, wait for the close too."""
    deadline = time.monotonic() + 30
    while not client.messages and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    if client.messages[0]["type"] == "error":
        while not client.ws.closed and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    return client.messages[0]


def test_token_is_required_when_set() -> None:
    with ServerProcess(["--token", "s3cret"]) as srv:

        async def go() -> None:
            async with await LiveClient.connect(srv.url) as bad:
                with pytest.raises(ServerError, match="token"):
                    await bad.wait_for("welcome")
                await bad.wait_closed(10)
                assert bad.ws.close_code == 1008
            async with await LiveClient.connect(srv.url, token="s3cret") as good:
                assert (await good.wait_for("welcome"))["protocol"] == 1

        run(go())


def test_other_sites_pages_cannot_connect(server: ServerProcess) -> None:
    async def go() -> None:
        headers = {"Origin": "http://evil.example"}
        async with await LiveClient.connect(server.url, headers=headers) as client:
            with pytest.raises(ServerError, match=r"evil\.example"):
                await client.wait_for("welcome")

    run(go())


# ---------------------------------------------------------------------------------- stamina


@pytest.mark.slow
def test_a_client_that_never_reads_costs_bounded_memory(server: ServerProcess) -> None:
    async def go() -> None:
        client = await LiveClient.connect(server.url, read=False)
        sock = client.ws._response.connection.transport.get_extra_info("socket")  # type: ignore[union-attr]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)  # a small window: no slack
        try:
            await client.send("hello", character="monalisa")
            await asyncio.sleep(2.0)
            before = server.rss_mb()
            await asyncio.sleep(8.0)  # ~200 frames made while the client reads nothing
            growth = server.rss_mb() - before
            client.start_reading()
            await asyncio.sleep(2.5)
            stats = [m for m in client.messages if m["type"] == "stats"]
        finally:
            await client.close()
        assert growth < 40, f"server memory grew {growth:.0f} MB for a client that reads nothing"
        assert stats[-1]["send_dropped"] > 100, stats[-1]

    run(go())


@pytest.mark.slow
def test_abrupt_disconnects_leave_no_session_task_or_thread(server: ServerProcess) -> None:
    speech = (0.3 * np.sin(np.linspace(0, 4000, 16000))).astype(np.float32)

    async def one() -> None:
        client = await _hello(server)
        streaming = asyncio.create_task(client.stream_audio(Kind.AGENT_AUDIO, speech, 16000))
        await asyncio.sleep(0.5)
        client.ws._response.connection.transport.abort()  # type: ignore[union-attr]  # no close
        streaming.cancel()
        await asyncio.gather(streaming, return_exceptions=True)
        await client.close()

    threads = []
    for _ in range(3):
        run(one())
        wait_until(lambda: server.info()["sessions"] == 0, 15, "the session to end")
        time.sleep(0.5)
        threads.append(server.threads())
    assert threads[2] <= threads[0], f"threads after each disconnect: {threads}"


@pytest.mark.slow
def test_ctrl_c_ends_live_sessions_and_the_server_promptly() -> None:
    server = ServerProcess().start()

    async def go() -> None:
        async with await LiveClient.connect(server.url) as client:
            await client.hello(character="monalisa")
            await client.send("say", text="Hello there, this line is still playing at the end.")
            await asyncio.sleep(1.0)
            started = time.monotonic()
            code = await asyncio.to_thread(server.stop)  # SIGINT, as Ctrl+C
            assert code == 0 and time.monotonic() - started < 8
            await client.wait_closed(10)
            assert client.ws.close_code == 1001  # going away

    try:
        run(go())
    finally:
        server.stop()
    assert "Traceback" not in "".join(server.output)
