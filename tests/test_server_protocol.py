"""The protocol's parsing, packing and bounded queues, without a server (fast).

The server-side parsers are the single place client messages are validated: every bad message
becomes a ProtocolError whose code a program can act on and whose text says how to fix it.
"""

from __future__ import annotations

import asyncio
import json
import struct
import subprocess
import sys

import numpy as np
import pytest

from openlpm.errors import ProtocolError, ServerConfigError
from openlpm.server import protocol as p
from openlpm.server.acks import AckTracker
from openlpm.server.binary import (
    FrameHeader,
    Kind,
    pack_client,
    pack_frame,
    parse_binary,
    unpack_frame,
)
from openlpm.server.config import Limits, ServerConfig, is_loopback
from openlpm.server.outbox import Outbox, OutFrame

LIMITS = Limits()


def _error(fn, *args) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        fn(*args)
    return info.value


# ---------------------------------------------------------------------------------- JSON


def test_hello_defaults_and_fields() -> None:
    msg = p.parse_text('{"type": "hello"}', LIMITS)
    assert msg == p.Hello()
    msg = p.parse_text(
        json.dumps({"type": "hello", "character": "monalisa", "size": 256, "fps": 30, "id": 7}),
        LIMITS,
    )
    assert msg == p.Hello(character="monalisa", size=256, fps=30.0, id=7)


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("{not json", "bad_json", "not valid JSON"),
        ("[1, 2]", "bad_json", "JSON object"),
        ('{"text": "hi"}', "bad_field", '"type"'),
        ('{"type": "dance"}', "unknown_type", "say"),
        ('{"type": "say"}', "bad_field", "non-empty string"),
        ('{"type": "say", "text": "   "}', "bad_field", "non-empty string"),
        ('{"type": "say", "text": 5}', "bad_field", "a string"),
        ('{"type": "hello", "size": 4000}', "bad_field", "128..1024"),
        ('{"type": "hello", "fps": "fast"}', "bad_field", "a number"),
        ('{"type": "hello", "size": true}', "bad_field", "integer"),
        ('{"type": "say", "text": "hi", "id": [1]}', "bad_field", "echoed"),
        (json.dumps({"type": "say", "text": "a" * 3000}), "too_big", "at most 2000"),
    ],
)
def test_bad_json_messages_say_how_to_fix(text: str, code: str, words: str) -> None:
    error = _error(p.parse_text, text, LIMITS)
    assert error.code == code
    assert words in str(error)
    assert not error.fatal  # the connection stays usable


def test_oversized_text_is_refused_before_parsing() -> None:
    error = _error(p.parse_text, " " * (LIMITS.max_text + 1), LIMITS)
    assert error.code == "too_big" and "binary" in str(error)


def test_server_messages_leave_out_a_missing_id() -> None:
    assert json.loads(p.encode("ack", of="say", id=None)) == {"type": "ack", "of": "say"}
    assert json.loads(p.encode("stats", fps=None)) == {"type": "stats", "fps": None}
    text = p.error_message(ProtocolError("bad_json", "nope"), id=3)
    assert json.loads(text) == {
        "type": "error", "code": "bad_json", "message": "nope", "fatal": False, "id": 3
    }  # fmt: skip


# ---------------------------------------------------------------------------------- binary


def test_audio_chunk_round_trip() -> None:
    pcm = np.arange(-5, 5, dtype="<i2").tobytes()
    msg = parse_binary(pack_client(Kind.USER_AUDIO, pcm, 16000, seq=42), LIMITS)
    assert (msg.kind, msg.sample_rate, msg.seq, msg.payload) == (Kind.USER_AUDIO, 16000, 42, pcm)


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"\x01\x01", "bad_binary", "12-byte header"),
        (pack_client(Kind.FRAME, b"\0\0", 16000), "bad_binary", "unknown binary kind"),
        (b"\x09" + pack_client(Kind.USER_AUDIO, b"\0\0", 16000)[1:], "bad_binary", "0x09"),
        (pack_client(Kind.USER_AUDIO, b"\0\0\0", 16000), "bad_audio", "odd"),
        (pack_client(Kind.USER_AUDIO, b"\0\0", 1000), "bad_audio", "8000..48000"),
        (pack_client(Kind.AGENT_AUDIO, b"RIFF\0\0\0\0WAVE", 16000), "bad_audio", "kind 0x03"),
        (pack_client(Kind.AGENT_AUDIO, b"\0" * 200_000, 48000), "too_big", "shorter chunks"),
        (pack_client(Kind.IMAGE, b""), "bad_binary", "empty"),
        (pack_client(Kind.IMAGE, b"\0" * 10_000_001), "too_big", "10 MB"),
    ],
)
def test_bad_binary_messages_say_how_to_fix(data: bytes, code: str, words: str) -> None:
    error = _error(parse_binary, data, LIMITS)
    assert error.code == code
    assert words in str(error)


def test_stereo_and_wrong_version_are_refused() -> None:
    stereo = struct.pack("<BBHII", Kind.USER_AUDIO, 1, 2, 16000, 0) + b"\0\0\0\0"
    assert "mono" in str(_error(parse_binary, stereo, LIMITS))
    v2 = struct.pack("<BBHII", Kind.USER_AUDIO, 2, 1, 16000, 0) + b"\0\0"
    assert "version" in str(_error(parse_binary, v2, LIMITS))


def test_frame_round_trip() -> None:
    header = FrameHeader(12, 0.48, 3, 24000, 4, 3, 9, 0.44)
    audio = np.array([1, -2, 3, -4], dtype="<i2")
    got, jpeg, samples = unpack_frame(pack_frame(header, b"jpg", audio.tobytes()))
    assert got == header and jpeg == b"jpg"
    np.testing.assert_array_equal(samples, audio)


# ---------------------------------------------------------------------------------- queues


def _frame(i: int, rate: int = 100) -> OutFrame:
    audio = np.full(4, i, np.float32)  # 4 samples at 100 Hz: frames of 40 ms
    return OutFrame(i, i * 0.04, 0, np.zeros((2, 2, 3), np.uint8), audio, rate, i * 0.04, ack=i)


def test_outbox_drops_old_frames_but_keeps_their_audio() -> None:
    box = Outbox(max_frames=2, max_control=10, max_audio_s=1.0)
    for i in range(5):
        box.put_frame(_frame(i))
    assert box.stats.frames_dropped == 3

    async def take() -> list[OutFrame]:
        return [await box.get(), await box.get()]  # type: ignore[list-item]

    first, second = asyncio.run(take())
    assert (first.index, second.index) == (3, 4)
    # frames 0-2 were dropped: their sound plays before frame 3's, from frame 0's time
    np.testing.assert_array_equal(first.audio, np.repeat([0, 1, 2, 3], 4))
    assert first.audio_pts == 0.0 and first.ack == 3


def test_outbox_caps_carried_audio_and_control_messages() -> None:
    box = Outbox(max_frames=1, max_control=2, max_audio_s=0.1)  # 10 samples
    for i in range(5):
        box.put_frame(_frame(i))
    frame = box._frames[0]
    assert frame.audio.size == 10 and frame.audio_pts == pytest.approx(0.16 - 0.06)
    assert box.stats.audio_dropped_s == pytest.approx(0.1)
    box.put_text("a")
    box.put_text("b")
    assert _error(box.put_text, "c").fatal


def test_ack_tracker_finds_the_chunk_a_frame_used() -> None:
    acks = AckTracker()
    for seq, at in ((1, 10.0), (2, 10.02), (3, 10.04)):
        acks.pushed(seq, at)
    assert acks.seq_for(10.021) == 2
    assert acks.seq_for(9.0) == 0 and acks.seq_for(None) == 0


# ---------------------------------------------------------------------------------- config


def test_public_address_needs_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")
    with pytest.raises(ServerConfigError, match="--token"):
        ServerConfig(host="0.0.0.0")
    assert ServerConfig(host="0.0.0.0", token="secret").token == "secret"


def test_serve_refuses_a_public_address_without_token_in_one_line() -> None:
    code = "import sys; from openlpm.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run(
        [sys.executable, "-c", code, "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "--token" in run.stderr
