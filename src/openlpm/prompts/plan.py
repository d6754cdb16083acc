"""A prompt's plan: which actions and emotions, how many times, how strongly, and when."""

from __future__ import annotations

from dataclasses import dataclass

from openlpm.prompts.vocabulary import BY_NAME, Kind, suggest

MAX_COUNT = 10
MAX_INTENSITY = 2.0


@dataclass(frozen=True)
class Step:
    """One action or emotion.

    Without ``at`` a step starts when the previous one ends (or with it when ``parallel``);
    with ``at`` (a timeline cue) it starts at that many seconds. ``duration`` None means the
    action's natural length (``count`` units at ``speed``) or, for an emotion, until the next
    emotion starts or the track ends.
    """

    name: str
    count: int = 1
    intensity: float = 1.0
    parallel: bool = False
    speed: float = 1.0
    at: float | None = None
    duration: float | None = None

    def __post_init__(self) -> None:
        if self.name not in BY_NAME:
            raise ValueError(f"unknown action or emotion {self.name!r}{suggest(self.name)}")
        if not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"count must be within 1..{MAX_COUNT}, got {self.count}")
        if not 0 < self.intensity <= MAX_INTENSITY:
            raise ValueError(f"intensity must be within (0, {MAX_INTENSITY}], got {self.intensity}")
        if self.speed <= 0:
            raise ValueError(f"speed must be positive, got {self.speed}")
        if self.at is not None and self.at < 0:
            raise ValueError(f"a step cannot start before 0 s, got at={self.at}")
        if self.duration is not None and self.duration <= 0:
            raise ValueError(f"duration must be positive, got {self.duration}")

    @property
    def kind(self) -> Kind:
        return BY_NAME[self.name].kind


@dataclass(frozen=True)
class PromptPlan:
    """What a prompt (or a timeline) asks for, in order, and the clauses nothing matched."""

    steps: tuple[Step, ...] = ()
    not_understood: tuple[str, ...] = ()

    @property
    def emotion(self) -> Step | None:
        """The first emotion, if any."""
        return next((s for s in self.steps if s.kind == "emotion"), None)

    @property
    def actions(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind == "action")

    def describe(self) -> str:
        """One line for logs: 'nod x2, then smile (0.5) + happy'."""
        parts = []
        for i, s in enumerate(self.steps):
            text = s.name + (f" x{s.count}" if s.count > 1 else "")
            text += f" ({s.intensity:g})" if s.intensity != 1 else ""
            text += f" @{s.at:g}s" if s.at is not None else ""
            join = " + " if s.parallel else ", then "
            parts.append(text if i == 0 else join + text)
        return "".join(parts) or "(nothing)"
