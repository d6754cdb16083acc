"""Duplex conversation on the curves: the mixer's policy and the offline conversation."""

from __future__ import annotations

import numpy as np
import pytest

from openlpm.audio.tts import synthesize
from openlpm.converse import DuplexMixer, converse, dialogue
from openlpm.converse.mixer import BROWS, GAZE, LIDS, MOUTH
from openlpm.errors import InputError
from openlpm.io.audio import Audio, mix_audio
from openlpm.listen import listen
from openlpm.motion.params import PARAM_INDEX, PARAMS
from openlpm.speak import speak_audio

FPS = 25
N = len(PARAMS)


def pose(value: float) -> np.ndarray:
    return np.full(N, value, np.float32)


def run(mixer: DuplexMixer, agent_on: list[bool], user_on: list[bool] | None = None, **poses):
    speak, hear = poses.get("speak", pose(1.0)), poses.get("listen", pose(0.0))
    user_on = user_on or [False] * len(agent_on)
    return np.stack([mixer.step(speak, hear, a, u) for a, u in zip(agent_on, user_on, strict=True)])


def test_turns_cross_fade_without_a_pop() -> None:
    agent_on = [False] * 50 + [True] * 75 + [False] * 75
    out = run(DuplexMixer(FPS), agent_on)
    body = out[:, PARAM_INDEX["headYaw"]]  # 0 while listening, 1 while speaking
    assert body[49] == pytest.approx(0.0) and body[120] > 0.95 and body[-1] < 0.05
    # never more than 15 % of the way in one frame (one first-order stage would leap 28 %
    # in the first frame: the head sets off at full speed)
    assert np.abs(np.diff(body)).max() < 0.15
    assert body[57] > 0.75  # the speaker's posture is there within 0.3 s of its first syllable


def test_the_mouth_is_always_the_speakers() -> None:
    speak = np.zeros(N, np.float32)
    speak[MOUTH] = 0.7
    hear = pose(0.3)
    mixer = DuplexMixer(FPS)
    for agent_on in [False] * 10 + [True] * 10 + [False] * 10:
        out = mixer.step(speak, hear, agent_on)
        assert np.array_equal(out[MOUTH], speak[MOUTH])


def test_short_pauses_stay_inside_the_agents_turn() -> None:
    agent_on = [True] * 50 + [False] * 10 + [True] * 20  # a 0.4 s pause
    out = run(DuplexMixer(FPS), agent_on)
    assert out[50:60, PARAM_INDEX["headYaw"]].min() > 0.95


def test_blinks_come_from_one_source_never_averaged() -> None:
    rng = np.random.default_rng(0)
    mixer = DuplexMixer(FPS)
    for i in range(300):
        speak, hear = pose(0.5), pose(0.2)
        speak[LIDS] = float(rng.random() < 0.1)  # both blink at random
        hear[LIDS] = float(rng.random() < 0.1)
        out = mixer.step(speak, hear, agent_speaking=(i // 60) % 2 == 0)
        assert out[LIDS][0] in (speak[LIDS][0], hear[LIDS][0])


def test_overlap_the_agent_keeps_talking_and_attends_with_gaze_and_brows() -> None:
    speak, hear = np.zeros(N, np.float32), np.zeros(N, np.float32)
    speak[MOUTH], hear[GAZE], hear[BROWS] = 0.6, 0.4, 0.3
    talking = run(DuplexMixer(FPS), [True] * 50, [False] * 50, speak=speak, listen=hear)
    overlap = run(
        DuplexMixer(FPS), [True] * 50, [False] * 25 + [True] * 25, speak=speak, listen=hear
    )
    assert np.array_equal(overlap[:, MOUTH], talking[:, MOUTH])  # it does not stop talking
    assert overlap[-1, GAZE].min() > 0.2 and talking[-1, GAZE].max() < 0.05
    assert overlap[-1, BROWS].min() > 0.15 and talking[-1, BROWS].max() < 0.05


@pytest.fixture(scope="module")
def turns() -> tuple[Audio, Audio]:
    """Agent 0-~2 s, user ~3-~5.5 s, agent again from ~7 s: each track silent in the other's
    turn, at their own sample rates."""
    agent_line = synthesize("Hello there, how are you?").audio
    user_line = synthesize("I am fine, thank you for asking.").audio.resampled(16000)
    a, u = agent_line.sample_rate, user_line.sample_rate
    agent = np.concatenate([agent_line.samples, np.zeros(5 * a, np.float32), agent_line.samples])
    user = np.concatenate([np.zeros(3 * u, np.float32), user_line.samples])
    return Audio(agent, a), Audio(user, u)


def test_listen_only_is_the_listener(turns) -> None:
    _, user = turns
    perf = converse(None, user, FPS, seed=3)
    assert np.allclose(perf.track.values, listen(user, FPS, seed=3).values, atol=1e-6)
    assert perf.audio.duration == pytest.approx(user.duration)


def test_conversation_speaks_in_its_turns_and_listens_in_the_users(turns) -> None:
    agent, user = turns
    perf = converse(speak_audio(agent), user, FPS)
    jaw = perf.track.values[:, PARAM_INDEX["jawOpen"]]
    t = np.arange(len(jaw)) / FPS
    assert perf.track.duration == pytest.approx(max(agent.duration, user.duration), abs=0.05)
    assert jaw[t < 1.5].max() > 0.2 and jaw[t > agent.duration - 1.5].max() > 0.2
    user_turn = (t > 3.2) & (t < 3.0 + 2.0)
    assert jaw[user_turn].max() < 0.02  # listening: the mouth is shut


def test_mismatched_lengths_pad_with_listening_then_idle(turns) -> None:
    agent, user = turns
    short = Audio(agent.samples[: agent.sample_rate], agent.sample_rate)  # 1 s
    perf = converse(speak_audio(short), user, FPS)
    assert perf.track.duration == pytest.approx(user.duration, abs=0.05)
    tail = perf.track.values[int(1.5 * FPS) :]
    assert np.abs(tail[:, MOUTH]).max() < 1e-6
    assert np.ptp(tail[:, PARAM_INDEX["headPitch"]]) > 0.5  # alive, not a held last frame
    assert any("longer" in note for note in perf.notes)
    longer = converse(speak_audio(short), None, FPS, duration=4.0)
    assert longer.track.duration == pytest.approx(4.0, abs=0.05)


def rms(audio: Audio, start_s: float, end_s: float) -> float:
    rate = audio.sample_rate
    return float(np.sqrt(np.mean(audio.samples[int(start_s * rate) : int(end_s * rate)] ** 2)))


def test_the_sound_is_both_tracks_mixed(turns) -> None:
    agent, user = turns
    mix = converse(speak_audio(agent), user, FPS).audio
    assert mix.sample_rate == max(agent.sample_rate, user.sample_rate)
    assert rms(mix, 0.2, 1.2) > 0.02 and rms(mix, 3.3, 4.3) > 0.02  # agent, then user
    loud = mix_audio([Audio(np.full(100, 0.9, np.float32), 8000)] * 2)
    assert np.abs(loud.samples).max() <= 1.0


def test_dialogue_each_speaks_its_own_and_listens_to_the_other(turns) -> None:
    agent, user = turns
    (first, second), mix = dialogue([speak_audio(agent), speak_audio(user)], FPS)
    assert len(first.track) == len(second.track)
    t = np.arange(len(first.track)) / FPS
    jaw_a = first.track.values[:, PARAM_INDEX["jawOpen"]]
    jaw_b = second.track.values[:, PARAM_INDEX["jawOpen"]]
    a_turn, b_turn = t < 1.5, (t > 3.3) & (t < 4.8)
    assert jaw_a[a_turn].max() > 0.2 and jaw_b[a_turn].max() < 0.02
    assert jaw_b[b_turn].max() > 0.2 and jaw_a[b_turn].max() < 0.02
    assert mix.duration == pytest.approx(max(agent.duration, user.duration), abs=0.01)


def test_nothing_to_perform_is_an_input_error() -> None:
    with pytest.raises(InputError, match="nothing to perform"):
        converse(None, None, FPS)
    with pytest.raises(InputError, match="two characters"):
        dialogue([], FPS)


def test_the_listener_looks_away_to_think_just_before_its_own_turn() -> None:
    from openlpm.converse.thinking import THINK_S, think_before_turns, turn_starts

    agent_on = np.array([False] * 75 + [True] * 50 + [False] * 10 + [True] * 20)
    assert turn_starts(agent_on, FPS) == [75]  # not the turn after a short pause
    listening = np.zeros((len(agent_on), N), np.float32)
    out = think_before_turns(listening, agent_on, FPS, np.random.default_rng(0))
    looks = [i for i, n in enumerate(PARAMS) if n.startswith("eyeLook")]
    away = np.abs(out[:, looks]).sum(axis=1)
    before = slice(75 - round(THINK_S * FPS), 75)
    assert away[before].max() > 0.3 and away[:40].max() == 0.0 and away[100:].max() == 0.0
    yaw = out[:, PARAM_INDEX["headYaw"]]
    assert np.abs(yaw[before]).max() > 2.0 and np.abs(np.diff(yaw)).max() < 0.8  # smooth
