"""Phone timelines: what was said when, in ARPAbet phones (the lip-sync passes' input)."""

from __future__ import annotations

from dataclasses import dataclass

# ARPAbet phones (CMUdict, no stress digits) plus SIL for silence / pauses.
ARPABET: frozenset[str] = frozenset(
    (
        "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G",
        "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T",
        "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH", "SIL",
    )
)  # fmt: skip


@dataclass(frozen=True)
class Phone:
    label: str  # one of ARPABET
    start: float  # seconds
    end: float  # seconds, > start

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class PhoneTimeline:
    """Phones in time order, covering [0, duration] without gaps (pauses are SIL)."""

    phones: tuple[Phone, ...]
    source: str  # "tts", "forced-alignment", "word-recognition", "phone-recognition", "silence"
    note: str = ""  # what fell back and why, for the user; "" when nothing did

    @property
    def duration(self) -> float:
        return self.phones[-1].end if self.phones else 0.0

    def labels(self) -> list[str]:
        return [p.label for p in self.phones]
