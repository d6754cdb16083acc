"""VMC protocol (Virtual Motion Capture, OSC over UDP): what VTuber apps receive.

Per frame, one OSC bundle (VSeeFace, VMagicMirror, Warudo, EVMC4U read bundles):

    /VMC/Ext/OK 1                                 the avatar is loaded (tracking on)
    /VMC/Ext/T <seconds>                          the session time of the frame
    /VMC/Ext/Bone/Pos "Head" px py pz qx qy qz qw the head's local rotation
    /VMC/Ext/Blend/Val <name> <value>             one per blendshape
    /VMC/Ext/Blend/Apply                          apply the values just sent

Blendshape names: ``perfect-sync`` (default) sends the 52 ARKit shapes with the first letter
capitalised ("JawOpen", "EyeBlinkLeft"), the BlendShapeClip names of "Perfect Sync" VRM
models; ``arkit`` sends Apple's names as they are ("jawOpen"); ``vrm`` sends the VRM 0.x
presets any VRM model has (A I U E O, Blink_L, Blink_R, Joy) made from the ARKit values.

Head rotation: a Unity (left-handed, Y up, avatar facing +Z) quaternion from Euler angles
x = -headPitch, y = -headYaw, z = +headRoll degrees, composed as Unity's Quaternion.Euler
(Z, then X, then Y): openlpm's +yaw turns the face to the character's left, +pitch lifts the
chin, +roll tilts toward the left shoulder, and the avatar does the same. The bone position
is ``head_position`` (default 0, 0, 0: receivers that sync bone positions, like EVMC4U,
should have that turned off for the head).
"""

from __future__ import annotations

import json
import math
import os
import socket
from collections.abc import Iterable

import numpy as np
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from openlpm.errors import InputError
from openlpm.motion.frame import MotionFrame
from openlpm.motion.params import BLENDSHAPES
from openlpm.sinks.textfile import AtomicText
from openlpm.stream.frames import VideoFrame

NAMINGS = ("perfect-sync", "arkit", "vrm")
DEFAULT_PORT = 39539  # the port VMC receivers (VSeeFace, VMagicMirror) listen on
Message = tuple[str, list[str | float | int]]


def blend_values(pose: MotionFrame, naming: str = "perfect-sync") -> list[tuple[str, float]]:
    if naming == "arkit":
        return [(n, pose[n]) for n in BLENDSHAPES]
    if naming == "perfect-sync":
        return [(n[0].upper() + n[1:], pose[n]) for n in BLENDSHAPES]
    if naming == "vrm":
        return _vrm_presets(pose)
    raise ValueError(f"naming must be one of {', '.join(NAMINGS)}, got {naming!r}")


def _vrm_presets(p: MotionFrame) -> list[tuple[str, float]]:
    """VRM 0.x preset clips: the five vowels from the mouth shape, blinks, a smile."""
    jaw, funnel, pucker = p["jawOpen"], p["mouthFunnel"], p["mouthPucker"]
    stretch = (p["mouthStretchLeft"] + p["mouthStretchRight"]) / 2
    smile = (p["mouthSmileLeft"] + p["mouthSmileRight"]) / 2
    rounded = max(funnel, pucker)
    vowels = {
        "A": jaw * (1 - rounded),
        "I": stretch * (1 - jaw),
        "U": pucker * (1 - jaw),
        "E": min(jaw, stretch),
        "O": funnel * jaw,
    }
    clipped = {k: float(np.clip(v, 0, 1)) for k, v in vowels.items()}
    blinks = {"Blink_L": p["eyeBlinkLeft"], "Blink_R": p["eyeBlinkRight"], "Joy": smile}
    return list(clipped.items()) + list(blinks.items())


def head_quaternion(yaw: float, pitch: float, roll: float) -> tuple[float, float, float, float]:
    """(qx, qy, qz, qw) of the head in Unity's frame (see the module docstring)."""

    def axis(i: int, degrees: float) -> np.ndarray:
        q = np.zeros(4)
        q[i], q[3] = math.sin(math.radians(degrees) / 2), math.cos(math.radians(degrees) / 2)
        return q

    q = _mul(_mul(axis(1, -yaw), axis(0, -pitch)), axis(2, roll))
    return tuple(float(v) for v in q)  # type: ignore[return-value]


def _mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of (x, y, z, w) quaternions."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ])  # fmt: skip


def vmc_messages(
    pose: MotionFrame,
    t: float,
    naming: str = "perfect-sync",
    head_position: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> list[Message]:
    """The messages of one frame, in sending order."""
    q = head_quaternion(pose["headYaw"], pose["headPitch"], pose["headRoll"])
    out: list[Message] = [("/VMC/Ext/OK", [1]), ("/VMC/Ext/T", [float(t)])]
    out.append(("/VMC/Ext/Bone/Pos", ["Head", *map(float, head_position), *q]))
    out += [("/VMC/Ext/Blend/Val", [name, float(v)]) for name, v in blend_values(pose, naming)]
    out.append(("/VMC/Ext/Blend/Apply", []))
    return out


def encode_bundle(messages: Iterable[Message]) -> bytes:
    bundle = OscBundleBuilder(IMMEDIATELY)
    for address, args in messages:
        msg = OscMessageBuilder(address)
        for a in args:
            msg.add_arg(a, "f" if isinstance(a, float) else None)
        bundle.add_content(msg.build())
    return bundle.build().dgram


def parse_address(text: str) -> tuple[str, int]:
    """ "host:port" (or "host", port 39539) -> (host, port), with a clear error."""
    host, _, port = text.rpartition(":") if ":" in text else (text, "", str(DEFAULT_PORT))
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not host or not 0 < number < 65536:
        raise InputError(f"give the VMC receiver as HOST:PORT (e.g. 127.0.0.1:39539), got {text!r}")
    return host, number


class VmcSink:
    """Send every frame to a VMC receiver over UDP. A receiver that is not running yet is
    not an error (UDP: the frames are simply lost until it starts)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        naming: str = "perfect-sync",
        head_position: tuple[float, float, float] = (0.0, 0.0, 0.0),
    ) -> None:
        blend_values(MotionFrame.neutral(), naming)  # validate the naming now
        self.naming, self.head_position = naming, head_position
        try:
            info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        except OSError as e:
            raise InputError(f"cannot resolve the VMC receiver {host}:{port}: {e}") from e
        self._address = info[4]
        self._sock = socket.socket(info[0], socket.SOCK_DGRAM)
        self.sent = self.lost = 0

    def write(self, frame: VideoFrame) -> None:
        data = encode_bundle(vmc_messages(frame.pose, frame.pts, self.naming, self.head_position))
        try:
            self._sock.sendto(data, self._address)
            self.sent += 1
        except OSError:  # ECONNREFUSED from an earlier datagram: nobody listens yet
            self.lost += 1

    def close(self) -> None:
        self._sock.close()


class VmcRecorder:
    """A timestamped recording of the same messages: JSON lines ``{"t": seconds,
    "address": "/VMC/...", "args": [...]}``, one per OSC message, in sending order
    (``t`` is the frame's time; a player sends each frame's lines as one bundle at ``t``)."""

    def __init__(self, path: str | os.PathLike[str], naming: str = "perfect-sync") -> None:
        blend_values(MotionFrame.neutral(), naming)
        self.naming = naming
        self._out = AtomicText(path)

    def write(self, frame: VideoFrame) -> None:
        lines = []
        for address, args in vmc_messages(frame.pose, frame.pts, self.naming):
            args = [round(a, 6) if isinstance(a, float) else a for a in args]
            line = {"t": round(frame.pts, 6), "address": address, "args": args}
            lines.append(json.dumps(line, separators=(",", ":")) + "\n")
        self._out.write("".join(lines))

    def close(self) -> None:
        self._out.close()

    def abort(self) -> None:
        self._out.abort()
