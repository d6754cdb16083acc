"""Count, intensity, speed and duration words, read off a clause and removed from it.

Semantics (documented for users in :mod:`openlpm.prompts`):
- count: "once" 1, "twice" 2, "thrice" 3, "N times" / "two times", "a couple (of times)" 2,
  "a few (times)", "several (times)", "repeatedly" 3; a number word before a noun ("three
  nods") counts too ("one" does not: "one eyebrow" is not a count);
- intensity: "slightly", "a little", "a bit", "small", ... 0.5; "somewhat", "kind of" 0.75;
  "very", "really", "big", "broadly", ... 1.3; "extremely", "hugely", ... 1.6. Several words
  multiply ("very slightly" is 0.65); the result is kept within 0.25..2;
- speed: "slowly" 1/1.5 (the action takes 1.5x as long), "quickly", "briefly" 1.4;
- duration: "for 2 seconds" / "for two seconds" holds the action that long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
_NUM = r"(\d+(?:\.\d+)?|" + "|".join(_NUMBERS) + r")"

_COUNTS: tuple[tuple[str, int | None], ...] = (  # None: the number in group 1
    (rf"\b{_NUM} times\b", None),
    (r"\bonce\b", 1),
    (r"\btwice\b", 2),
    (r"\bthrice\b", 3),
    (r"\ba couple( of)?( times)?\b", 2),
    (r"\b(a few|several)( times)?\b", 3),
    (r"\b(repeatedly|again_and_again|over_and_over)\b", 3),
    (r"\b(two|three|four|five|six|seven|eight|nine|ten|\d+)\b(?= \w)", None),
)
_INTENSITIES: tuple[tuple[str, float], ...] = (
    (r"\b(extremely|incredibly|hugely|massively|super|enormous|huge|very very)\b", 1.6),
    (r"\b(slightly|slight|a little bit|a little|a bit|a touch|a tad|faintly|barely|softly|"
     r"gently|gentle|subtly|subtle|lightly|mildly|mild|small|little|tiny|weakly)\b", 0.5),
    (r"\b(somewhat|fairly|moderately|kind of|sort of)\b", 0.75),
    (r"\b(very|really|big|broadly|broad|widely|wide|strongly|strong|vigorously|vigorous|"
     r"a lot|so|deeply|hard|firmly|firm|energetically|intensely)\b", 1.3),
)  # fmt: skip
_SPEEDS: tuple[tuple[str, float], ...] = (
    (r"\b(slowly|slow|leisurely)\b", 1 / 1.5),
    (r"\b(quickly|quick|fast|rapidly|swiftly|briefly|brief)\b", 1.4),
)
_DURATION = rf"\bfor (a |an )?{_NUM}? ?(seconds?|secs?|s)\b"


@dataclass(frozen=True)
class Modifiers:
    """What a clause said about how (not what): None where it said nothing."""

    count: int | None = None
    intensity: float = 1.0
    speed: float = 1.0
    duration: float | None = None


def _number(word: str | None) -> float:
    if word is None:
        return 1.0
    return float(_NUMBERS.get(word, word))


def extract(clause: str) -> tuple[str, Modifiers]:
    """(the clause without its modifier words, the modifiers). ``clause`` is normalized text."""
    text, duration = clause, None
    if m := re.search(_DURATION, text):
        duration, text = _number(m.group(2)), _cut(text, m)
    count = None
    for pattern, value in _COUNTS:
        if m := re.search(pattern, text):
            count = int(value if value is not None else _number(m.group(1)))
            text = _cut(text, m)
            break
    intensity = 1.0
    for pattern, value in _INTENSITIES:
        while m := re.search(pattern, text):
            intensity, text = intensity * value, _cut(text, m)
    speed = 1.0
    for pattern, value in _SPEEDS:
        if m := re.search(pattern, text):
            speed, text = speed * value, _cut(text, m)
    intensity = min(max(intensity, 0.25), 2.0)
    count = None if count is None else min(max(count, 1), 10)
    return text.strip(), Modifiers(count, intensity, speed, duration)


def _cut(text: str, m: re.Match[str]) -> str:
    return re.sub(r"\s+", " ", text[: m.start()] + " " + text[m.end() :]).strip()
