"""Offline duplex: the character's own speech and the user's audio -> one performance.

Both streams run through the same causal pieces the live engine uses (the listener, the
duplex mixer), so a file renders exactly as the same audio would play out live. Streams of
different lengths are padded: where the agent's speech has ended the character listens, and
where both have ended it idles (breathing, blinks, slow gaze), for as long as the longer one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from openlpm.audio.prosody import FRAME_RATE, speech_frames
from openlpm.converse.mixer import LIDS, MOUTH, DuplexMixer
from openlpm.converse.thinking import think_before_turns
from openlpm.errors import InputError
from openlpm.io.audio import Audio, mix_audio
from openlpm.listen.listener import listen_with_activity
from openlpm.motion.frame import MotionTrack
from openlpm.motion.params import PARAMS
from openlpm.speak import Performance

_SILENT = Audio(np.zeros(1, np.float32), 16000)


def converse(
    agent: Performance | None,
    user: Audio | None,
    fps: float = 25.0,
    seed: int = 0,
    duration: float | None = None,
) -> Performance:
    """The character speaks ``agent`` (see :mod:`openlpm.speak`) and listens to ``user``; either
    may be None (listen only, speak only), or both, with a ``duration`` (idle). The result
    lasts the longer of the two (or ``duration`` seconds, if longer) and carries both sounds
    mixed."""
    if agent is None and user is None and not duration:
        raise InputError("nothing to perform: give the character's speech, the user's, or both")
    if agent is not None and abs(agent.track.fps - fps) > 1e-9:
        raise ValueError(f"the agent's track is at {agent.track.fps} fps, not {fps}")
    spans = [duration or 0.0]
    spans += [agent.track.duration, agent.audio.duration] if agent else []
    spans += [user.duration] if user else []
    total = max(spans)
    n = max(1, math.ceil(total * fps - 1e-9))

    heard_track, user_on = listen_with_activity(user or _SILENT, fps, seed, duration=n / fps)
    speak = _speaking_rows(agent.track, n) if agent else np.zeros((n, len(PARAMS)), np.float32)
    agent_on = _activity(agent.audio, fps, n) if agent else np.zeros(n, bool)
    # the agent's turns are known ahead here: the listener looks away to think before each
    listening = think_before_turns(heard_track.values, agent_on, fps, np.random.default_rng(seed))
    mixer = DuplexMixer(fps)
    rows = [
        mixer.step(speak[i], listening[i], bool(agent_on[i]), bool(user_on[i])) for i in range(n)
    ]
    sounds = [a for a in (agent.audio if agent else None, user) if a is not None] or [_SILENT]
    notes = list(agent.notes) if agent else []
    if agent and user and abs(agent.audio.duration - user.duration) > 0.5:
        longer = "user's" if user.duration > agent.audio.duration else "character's"
        notes.append(
            f"the {longer} audio is {abs(agent.audio.duration - user.duration):.1f} s longer: "
            "the rest is performed listening or idle"
        )
    return Performance(
        MotionTrack(np.stack(rows), fps),
        mix_audio(sounds),
        agent.phones if agent else None,
        tuple(notes),
    )


def dialogue(
    performances: Sequence[Performance], fps: float = 25.0, seed: int = 0
) -> tuple[list[Performance], Audio]:
    """Several characters in one scene: each speaks its own performance and listens to the
    others' speech. Returns one performance per character (all the same length) and the mix."""
    if len(performances) < 2:
        raise InputError("a dialogue needs at least two characters' speech")
    total = max(max(p.track.duration, p.audio.duration) for p in performances)
    out = []
    for k, perf in enumerate(performances):
        others = mix_audio([p.audio for j, p in enumerate(performances) if j != k])
        out.append(converse(perf, others, fps, seed + 101 * k, duration=total))
    return out, mix_audio([p.audio for p in performances])


def _activity(audio: Audio, fps: float, n: int) -> np.ndarray:
    """(n,) bool: the agent's audio has speech in frame i (the same detector the mouth uses)."""
    speech = speech_frames(audio)
    idx = np.minimum((np.arange(n) / fps * FRAME_RATE).astype(int), len(speech) - 1)
    inside = np.arange(n) / fps < len(speech) / FRAME_RATE
    return speech[idx] & inside


def _speaking_rows(track: MotionTrack, n: int) -> np.ndarray:
    """The speaking track cut or padded to ``n`` frames; the pad holds the last head pose with
    the mouth shut and the eyes open (the mixer hands over to listening there)."""
    values = track.values[:n]
    if len(values) >= n:
        return values
    last = values[-1].copy() if len(values) else np.zeros(len(PARAMS), np.float32)
    last[MOUTH], last[LIDS] = 0.0, 0.0
    return np.vstack([values, np.repeat(last[None], n - len(values), axis=0)])
