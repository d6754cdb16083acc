"""Directing a performance: what the character says, what it hears and what it is asked to do
-> one :class:`~openlpm.speak.Performance`. This is what ``openlpm render`` runs.

    perf = direct(Direction(speech=load_audio("agent.wav"), user=load_audio("user.wav"),
                            prompt="smiles warmly, then nods twice"))

The passes, in order: speaking (:mod:`openlpm.speak`) -> duplex with listening
(:mod:`openlpm.converse`) -> timeline cues and prompt (:mod:`openlpm.prompts`). A prompt or a
timeline alone gives a silent performance long enough to show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from openlpm.errors import InputError
from openlpm.io.audio import Audio
from openlpm.speak import Performance, SpeakOptions, speak_audio, speak_text

PROMPT_START_S = 0.3  # the first prompted action starts here, after the video's first frames
TAIL_S = 0.6  # a prompt-only performance holds this long after its last action
IDLE_S = 3.0  # a prompt that asked for nothing known still gets this much (neutral) video


@dataclass(frozen=True)
class Direction:
    speech: Audio | str | None = None  # the character's own speech: audio, or text for the TTS
    user: Audio | None = None  # what the character listens to
    prompt: str | None = None  # free text: "smiles warmly, then nods twice"
    timeline: str | Path | None = None  # a JSON cue file (openlpm.prompts.timeline)
    speak: SpeakOptions = field(default_factory=SpeakOptions)
    voice: str = "en-us"  # TTS voice when ``speech`` is text

    def __post_init__(self) -> None:
        if isinstance(self.speech, str) and not self.speech.strip():
            raise InputError("the text to say is empty: give a line of text")
        if self.prompt is not None and not self.prompt.strip():
            raise InputError("the prompt is empty: say what the character should do")
        for name, audio in (("character's speech", self.speech), ("user's audio", self.user)):
            if isinstance(audio, Audio) and len(audio.samples) == 0:
                raise InputError(f"the {name} is empty (0 samples): give a recording")
        wanted = (self.speech, self.user, self.prompt, self.timeline)
        if all(w is None for w in wanted):
            raise InputError(
                "nothing to perform: give the character's speech (--audio or --text), "
                "the user's (--listen), a --prompt or a --timeline"
            )


def direct(d: Direction) -> Performance:
    """The whole performance for one character."""
    from openlpm.converse import converse

    fps, seed = d.speak.fps, d.speak.seed
    agent = _speaking(d)
    plans, notes = _plans(d)
    need = max((_plan_length(p) for p in plans), default=0.0)
    if agent is None and d.user is None:  # prompt only: the character idles while it acts
        need = max(need, IDLE_S)
    if agent is None or d.user is not None or need > agent.track.duration:
        perf = converse(agent, d.user, fps, seed, duration=need)
    else:
        perf = agent
    return _steered(perf, plans, seed, notes)


def direct_dialogue(directions: list[Direction]) -> tuple[list[Performance], Audio]:
    """Several characters in one scene, each speaking its own ``speech`` and listening to the
    others; each one's prompt and timeline apply to that character only."""
    from openlpm.converse import dialogue

    for i, d in enumerate(directions, start=1):
        if d.speech is None:
            raise InputError(f"character {i} has nothing to say: give it speech")
        if d.user is not None:
            raise InputError("in a dialogue the characters listen to each other, not to --listen")
    first = directions[0].speak
    perfs, mix = dialogue([_speaking(d) for d in directions], first.fps, first.seed)
    out = []
    for d, perf in zip(directions, perfs, strict=True):
        plans, notes = _plans(d)
        out.append(_steered(perf, plans, d.speak.seed, notes))
    return out, mix


def _speaking(d: Direction) -> Performance | None:
    if d.speech is None:
        return None
    if isinstance(d.speech, str):
        return speak_text(d.speech, d.speak, voice=d.voice)
    return speak_audio(d.speech, d.speak)


def _plans(d: Direction) -> tuple[list, list[str]]:
    """(plans in the order they apply, notes for the user)."""
    from openlpm.prompts import load_timeline, parse_prompt

    plans, notes = [], []
    if d.timeline is not None:
        plans.append(load_timeline(d.timeline))
    if d.prompt is not None:
        plan = parse_prompt(d.prompt)
        if plan.not_understood:
            missed = "; ".join(f'"{c}"' for c in plan.not_understood)
            notes.append(f"did not understand {missed} in the prompt (ignored)")
        if not plan.steps:
            notes.append("the prompt asked for nothing known: the performance stays neutral")
        else:
            notes.append(f"prompt: {plan.describe()}")
        plans.append(plan)
    return plans, notes


def _plan_length(plan) -> float:
    from openlpm.prompts import total_duration

    timed = [s.at + (s.duration or 0.0) for s in plan.steps if s.at is not None]
    ends = [total_duration(plan, PROMPT_START_S), *timed]
    return max(ends) + TAIL_S if plan.steps else 0.0


def _steered(perf: Performance, plans: list, seed: int, notes: list[str]) -> Performance:
    from openlpm.prompts import apply_plan

    if not plans:
        return perf
    track = perf.track
    for plan in plans:
        track = apply_plan(plan, track, start=PROMPT_START_S, seed=seed)
    return replace(perf, track=track, notes=(*perf.notes, *notes))
