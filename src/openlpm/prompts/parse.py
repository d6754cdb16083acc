"""Text -> PromptPlan.

The prompt is split into clauses at commas, ';', '.', 'then', 'and', 'while', ... Each clause
loses its count/intensity/speed words (:mod:`openlpm.prompts.modifiers`) and is matched to one
action or emotion: exact keywords first, else the sentence-embedding matcher, which must reach
:data:`MIN_SIMILARITY` or the clause is reported in ``not_understood``.

Order: clauses play one after another ("then", commas, ';', '.'). "while", "whilst",
"meanwhile", "at the same time" play the clause with the previous one. "and" plays both at once
when they move different parts of the face ("smiles and nods"), one after the other when they
compete ("looks left and looks right"). Emotions take no time: an emotion colours from where it
appears until the next emotion or the end. Negated clauses ("doesn't smile") are not understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openlpm.prompts import embed
from openlpm.prompts.modifiers import Modifiers, extract
from openlpm.prompts.plan import PromptPlan, Step
from openlpm.prompts.vocabulary import BY_NAME, VOCABULARY, Side, sibling

# Cosine similarity under which a clause is not understood. Correct matches of unseen
# paraphrases score 0.50..0.9; nonsense and other languages 0.2..0.41, with outliers up to 0.50
# ("er nickt zweimal"), so the bar sits just above those.
MIN_SIMILARITY = 0.52

_SEQUENTIAL = r"[,;!?]|\.(?!\d)|\band then\b|\bthen\b|\bafter that\b|\bafterwards\b|\bfinally\b"
_PARALLEL = r"\bwhile\b|\bwhilst\b|\bmeanwhile\b|\bat the same time\b|\bsimultaneously\b"
_SPLIT = re.compile(rf"({_SEQUENTIAL}|{_PARALLEL}|\band\b)")
_NEGATION = re.compile(r"\b(not|never|no longer|don't|doesn't|dont|doesnt|without|stops?)\b")
_SIDE = re.compile(r"\b(left|right)\b")
_PAIRS = re.compile(r"\b(up and down|down and up|left and right|right and left|back and forth|"
                    r"again and again|over and over)\b")  # fmt: skip


@dataclass(frozen=True)
class Clause:
    text: str  # without modifier words
    original: str  # as written, for the not-understood list
    join: str  # how it joins the previous clause: "then", "and" or "while"
    modifiers: Modifiers


def normalize(text: str) -> str:
    """Lower case, plain spaces, and fixed pairs ("up and down") joined so "and" keeps them."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"\s+", " ", re.sub(r"[^\w\s',;.!?-]", " ", text)).strip()
    return _PAIRS.sub(lambda m: m.group(0).replace(" ", "_"), text)


def split_clauses(text: str) -> list[Clause]:
    """The clauses of a prompt, each with how it joins the one before."""
    clauses, join = [], "then"
    for piece in _SPLIT.split(normalize(text)):
        word = piece.strip()
        if re.fullmatch(_SEQUENTIAL, word):
            join = "then"
        elif re.fullmatch(_PARALLEL, word):
            join = "while"
        elif word == "and":
            join = "and" if join != "while" else join
        elif word:
            core, mods = extract(word)
            clauses.append(Clause(core, word, join, mods))
            join = "then"
    return clauses


def _keyword_match(text: str) -> str | None:
    """The entry whose keywords match: actions beat emotions ("smiles happily" is a smile),
    then the longest match; None when nothing or a tie matches."""
    found: dict[str, tuple[int, int]] = {}
    for e in VOCABULARY:
        spans = [m.end() - m.start() for k in e.keywords if (m := re.search(k, text))]
        if spans:
            found[e.name] = (e.kind == "action", max(spans))
    if not found:
        return None
    ranked = sorted(found.items(), key=lambda kv: kv[1], reverse=True)
    families = {BY_NAME[n].family or n for n, _ in ranked if ranked[0][1] == found[n]}
    return ranked[0][0] if len(families) == 1 else None


def side_of(text: str) -> Side | None:
    sides = set(_SIDE.findall(text))
    return sides.pop() if len(sides) == 1 else None  # type: ignore[return-value]


def match_clauses(clauses: list[Clause]) -> list[str | None]:
    """The entry name for each clause, or None when not understood."""
    names: list[str | None] = [None] * len(clauses)
    pending = []
    for i, c in enumerate(clauses):
        if not c.text or _NEGATION.search(c.text):
            continue
        names[i] = _keyword_match(c.text)
        if names[i] is None:
            pending.append(i)
    for i, m in zip(pending, embed.best_matches([clauses[i].text for i in pending]), strict=True):
        names[i] = m.name if m.score >= MIN_SIMILARITY else None
    return [n and sibling(n, side_of(c.text)) for n, c in zip(names, clauses, strict=True)]


def _parallel(join: str, name: str, previous: str | None) -> bool:
    if join == "while":
        return previous is not None
    if join == "and" and previous is not None:
        return not (BY_NAME[name].parts & BY_NAME[previous].parts)
    return False


def parse_prompt(text: str) -> PromptPlan:
    """The plan for a prompt like "smiles slightly, then nods twice"."""
    clauses = split_clauses(text)
    steps, missed, previous = [], [], None
    for c, name in zip(clauses, match_clauses(clauses), strict=True):
        if name is None:
            missed.append(c.original)
            continue
        if c.join == "and" and steps and steps[-1].name == name:
            continue  # "nervous and afraid": one emotion said twice
        m = c.modifiers
        count = m.count or BY_NAME[name].default_count
        parallel = _parallel(c.join, name, previous)
        steps.append(Step(name, count, m.intensity, parallel, m.speed, None, m.duration))
        previous = name
    return PromptPlan(tuple(steps), tuple(missed))
