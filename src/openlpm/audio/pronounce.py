"""Transcript -> words with pronunciations in the recognizer's phones (ARPAbet).

Words come from pocketsphinx's CMUdict when it has them; every other word (names, rare
words, numbers, years, currency, abbreviations, symbols) from eSpeak NG's reading of it,
mapped to ARPAbet. A hyphenated word the dictionary lacks is tried as its parts first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from openlpm.audio.phones import ARPABET, Phone, PhoneTimeline

_CURRENCY = {"$": "dollars", "£": "pounds", "€": "euros", "¥": "yen"}
_EDGE = re.compile(r"^[^\w$£€¥]+|[^\w%.]+$")  # outer punctuation (a final "." decided below)
_ABBREVIATION = re.compile(r"^([A-Z][a-z]{0,2}|(\w\.)+\w)\.$")  # "Dr.", "Mrs.", "U.S.", "e.g."
_PRICE = re.compile(r"^([$£€¥])(\d[\d,]*)(?:\.(\d\d))?$")
_YEAR = re.compile(r"^(1[1-9]|20)(\d\d)s?$")  # 1100-2099 (and "1960s")


@dataclass(frozen=True)
class Word:
    name: str  # the word in the recognizer's dictionary ("gregson", "1963")
    phones: str  # ARPAbet, space-separated
    source: str  # "dictionary" or "espeak"


@dataclass(frozen=True)
class Pronounced:
    words: tuple[Word, ...]
    failed: tuple[str, ...]  # tokens nothing could pronounce, each with why


def tokens(transcript: str) -> list[str]:
    """Whitespace-separated tokens without outer punctuation ("Bob!" -> "Bob", "$5," -> "$5")."""
    out = []
    for raw in transcript.split():
        token = _EDGE.sub("", raw).strip("'")
        if not _ABBREVIATION.match(token):
            token = token.rstrip(".")
        if token:
            out.append(token)
    return out


def pronounce(transcript: str, lookup: Callable[[str], str | None]) -> Pronounced:
    """Every token's pronunciation; ``lookup`` is the recognizer's dictionary (None if absent)."""
    words: list[Word] = []
    failed: list[str] = []
    for token in tokens(transcript):
        found = _from_dictionary(token, lookup)
        if found is None:
            found, why = _from_espeak(token)
            if found is None:
                failed.append(f"'{token}' ({why})")
                continue
        words += found
    return Pronounced(tuple(words), tuple(failed))


def _from_dictionary(token: str, lookup: Callable[[str], str | None]) -> list[Word] | None:
    key = token.lower()
    if re.search(r"\d", key) or key.endswith("."):
        return None  # eSpeak reads digits ("1963": a year) and abbreviations ("Dr.": doctor)
    phones = lookup(key)
    if phones is not None:
        return [Word(key, phones, "dictionary")]
    parts = [p for p in re.split(r"[-–/]", key) if p]
    if len(parts) > 1 and all(lookup(p) is not None for p in parts):
        return [Word(p, lookup(p) or "", "dictionary") for p in parts]
    return None


def _from_espeak(token: str) -> tuple[list[Word] | None, str]:
    from openlpm.audio.tts import phonemes, to_arpabet

    spoken = _spoken_form(token)
    phones = [to_arpabet(m) for m in phonemes(spoken, "en-us")]
    phones = [p for p in phones if p != "SIL" and p in ARPABET]
    if not phones:
        return None, "eSpeak NG has no pronunciation for it"
    name = "x_" + re.sub(r"\W", "_", token.lower())  # not a dictionary word: no clash
    return [Word(name, " ".join(phones), "espeak")], ""


def _spoken_form(token: str) -> str:
    """What eSpeak should read: years as years, prices with their unit after the number."""
    year = _YEAR.match(token)
    if year and not token.endswith("00"):
        tail = year[2] if year[2][0] != "0" else f"oh {year[2][1]}"  # 1905: nineteen oh five
        return f"{year[1]} {tail}{'s' if token.endswith('s') else ''}"
    price = _PRICE.match(token)
    if price:
        unit, whole, cents = price[1], price[2], price[3]
        return f"{whole} {_CURRENCY[unit]}" + (f" {cents} cents" if cents else "")
    return token


_VOWELS = frozenset(
    ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW")
)


def timed_phones(words: list[tuple[str, float, float]], duration: float) -> PhoneTimeline:
    """Phones from word timestamps (a TTS's): each word's phones share its span, a vowel
    taking twice a consonant's time; gaps are SIL. Words nothing can pronounce stay SIL."""
    from openlpm.audio.align import pronounced  # with the recognizer's dictionary

    phones: list[Phone] = []
    t = 0.0
    for text, start, end in sorted(words, key=lambda w: w[1]):
        start, end = max(start, t), min(end, duration)
        labels = [p.rstrip("012") for w in pronounced(text).words for p in w.phones.split()]
        if end - start < 1e-3 or not labels:
            continue
        if start > t:
            phones.append(Phone("SIL", t, start))
        weights = [2.0 if p in _VOWELS else 1.0 for p in labels]
        edges = start + (end - start) * np.cumsum([0.0, *weights]) / sum(weights)
        phones += [Phone(p, a, b) for p, a, b in zip(labels, edges[:-1], edges[1:], strict=True)]
        t = end
    if duration - t > 1e-6 or not phones:
        phones.append(Phone("SIL", t, max(duration, t + 1e-3)))
    return PhoneTimeline(tuple(phones), "word-timing")
