"""What a text prompt can ask for: the actions and emotions, with phrasings to match against.

Each :class:`Entry` carries
- ``examples``: phrasings the sentence-embedding matcher compares a clause with (kept disjoint
  from the test paraphrases in ``tests/fixtures/paraphrases.tsv``, so the accuracy measured there
  is on unseen wording);
- ``keywords``: regular expressions for the exact-match fast path (tried before the model);
- ``parts``: the parts of the face an action moves; "X and Y" plays both at once only when their
  parts differ (see :mod:`openlpm.prompts.parse`).

Sides are the character's own, as in :mod:`openlpm.motion.params`: "look left" turns the face
to the character's left. "wink" and "tilt head" with no side mean the character's left.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Kind = Literal["action", "emotion"]
Side = Literal["left", "right"]

# Families whose members differ only by side; a side word in the clause picks the member and
# the default applies when the clause names no side (None: keep what matched).
SIDED_FAMILIES: dict[str, Side | None] = {"wink": "left", "tilt head": "left", "look": None}

_LOOK = r"\b(look|glanc|gaz|turn|peer|peek|star)\w*\b(\s+\w+){0,4}\s+"
_POSS = r"(his |her |their |the |its |both |my |your )?"


@dataclass(frozen=True)
class Entry:
    name: str
    kind: Kind
    description: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    parts: frozenset[str] = frozenset()
    default_count: int = 1
    family: str | None = None
    side: Side | None = None


def _action(name: str, parts: str, description: str, examples: tuple[str, ...], keywords, **kw):
    return Entry(name, "action", description, examples, keywords, frozenset(parts.split()), **kw)


def _emotion(name: str, description: str, examples: tuple[str, ...], keywords):
    return Entry(name, "emotion", description, examples, keywords, frozenset({"expression"}))


def _sided(family: str, parts: str, what: str, examples: tuple[str, ...], keywords, **kw):
    """The left and right members of a family; ``{side}`` in the texts is filled in."""
    return tuple(
        _action(
            f"{family} {side}",
            parts,
            what.replace("{side}", side),
            tuple(e.replace("{side}", side) for e in examples),
            tuple(k.replace("{side}", side) for k in keywords),
            family=family,
            side=side,
            **kw,
        )
        for side in ("left", "right")
    )


EMOTIONS: tuple[Entry, ...] = (
    _emotion(
        "happy",
        "looks happy and pleased",
        ("is happy", "feels joyful", "in a good mood", "delighted", "cheerful expression",
         "content and pleased"),
        (r"\b(happy|happily|joyful\w*|cheerful\w*|glad)\b",),
    ),
    _emotion(
        "sad",
        "looks sad and unhappy",
        ("is sad", "feels down", "sorrowful face", "looks miserable", "heartbroken",
         "melancholy expression"),
        (r"\b(sad|sadly|sadness|unhappy|upset|sorrowful\w*|gloomy|dejected)\b",),
    ),
    _emotion(
        "angry",
        "looks angry",
        ("is angry", "furious", "mad at someone", "annoyed and irritated", "enraged",
         "hostile glare"),
        (r"\b(angry|angrily|anger|furious\w*|mad|annoyed|irritated)\b",),
    ),
    _emotion(
        "surprised",
        "looks surprised",
        ("is surprised", "astonished", "amazed", "caught off guard", "shocked expression",
         "taken aback"),
        (r"\b(surpris\w*|astonish\w*|amazed|shocked)\b",),
    ),
    _emotion(
        "fearful",
        "looks afraid and scared",
        ("is scared", "frightened", "terrified", "anxious and worried", "nervous and fearful",
         "full of dread"),
        (r"\b(fear\w*|afraid|scared|frightened|terrified|anxious\w*)\b",),
    ),
    _emotion(
        "disgusted",
        "looks disgusted",
        ("is disgusted", "grossed out", "revolted", "repulsed", "finds it gross",
         "expression of distaste"),
        (r"\b(disgust\w*|grossed out|revolted|repulsed|repell\w*)\b",),
    ),
    _emotion(
        "thoughtful",
        "looks thoughtful, thinking",
        ("is thinking", "pensive", "deep in thought", "pondering something", "contemplative",
         "considering the question"),
        (r"\b(thoughtful\w*|pensive\w*|ponder\w*|contemplat\w*|wonder\w*)\b",),
    ),
    _emotion(
        "shy",
        "looks shy and bashful",
        ("is shy", "bashful", "timid", "embarrassed", "coy expression", "self-conscious"),
        (r"\b(shy|shyly|bashful\w*|timid\w*|coy|coyly)\b",),
    ),
    _emotion(
        "excited",
        "looks excited and enthusiastic",
        ("is excited", "thrilled", "enthusiastic", "full of energy", "eager and lively",
         "can't wait"),
        (r"\b(excit\w*|thrilled|enthusiastic)\b",),
    ),
    _emotion(
        "calm",
        "looks calm and relaxed",
        ("is calm", "relaxed", "serene", "peaceful", "at ease", "composed and tranquil"),
        (r"\b(calm\w*|relaxed|serene\w*|peaceful\w*)\b",),
    ),
    _emotion(
        "neutral",
        "neutral expression",
        ("no expression", "expressionless", "blank face", "poker face", "straight face",
         "neutral"),
        (r"\b(neutral\w*|expressionless|emotionless|poker face|straight face)\b",
         r"\bno (emotion|expression)\b"),
    ),
)  # fmt: skip

ACTIONS: tuple[Entry, ...] = (
    _action(
        "nod", "head", "nods the head up and down",
        ("nods", "nod yes", "head bobs down and up", "gives a nod", "nodding"),
        (r"\bnod(s|ded|ding)?\b", r"\byes\b", r"\bup_and_down\b"),
    ),
    _action(
        "shake head", "head", "shakes the head from side to side",
        ("shakes head", "shake head no", "head shake", "shaking the head side to side",
         "says no with the head"),
        (rf"\bshak\w* {_POSS}head\b", r"\bhead ?shak\w*", r"\b(side to side|left_and_right)\b"),
        default_count=2,
    ),
    *_sided(
        "tilt head", "roll", "tilts the head to the {side}",
        ("tilts head {side}", "head tilt to the {side}", "cocks head {side}",
         "leans head to the {side} side", "tilts head"),
        (r"\b(tilt|cock|tip)\w*\b",),
    ),
    *_sided(
        "wink", "lids", "winks the {side} eye",
        ("winks", "wink {side} eye", "gives a wink", "closes one eye briefly"),
        (r"\bwink\w*", r"\b(clos|shut)\w* one eye\b"),
    ),
    _action(
        "blink", "lids", "blinks both eyes",
        ("blinks", "blink", "blinks both eyes", "flutters eyelids"),
        (r"\bblink\w*", rf"\bbat\w* {_POSS}(eye)?lashes\b", r"\bflutter\w*"),
    ),
    _action(
        "raise eyebrows", "brows", "raises both eyebrows",
        ("raises eyebrows", "eyebrows go up", "lifts brows", "brows up", "eyebrow flash"),
        (rf"\b(rais|lift)\w* {_POSS}(eye)?brows\b", r"\b(eye)?brows (go |goes |went )?up\b"),
    ),
    _action(
        "raise one eyebrow", "brows", "raises one eyebrow skeptically",
        ("raises one eyebrow", "arches an eyebrow", "skeptical eyebrow", "quizzical brow"),
        (r"\b(one|an|a single) (eye)?brow\b",),
    ),
    _action(
        "frown", "brows mouth", "frowns, brows drawn down",
        ("frowns", "frown", "knits brows", "scowl", "brows drawn together"),
        (r"\b(frown|scowl)\w*", r"\bfurrow\w*"),
    ),
    _action(
        "smile", "mouth", "smiles",
        ("smiles", "smile", "a warm smile", "corners of mouth go up"),
        (r"\bsmil\w*", r"\bcorners of \w+ (mouth|lips) (turn|go|curl)\w* up\b"),
    ),
    _action(
        "grin", "mouth", "grins broadly",
        ("grins", "grin", "wide toothy smile", "beaming from ear to ear"),
        (r"\bgrin(s|ned|ning)?\b", r"\bbeam\w*"),
    ),
    _action(
        "smirk", "mouth", "smirks, a lopsided smile",
        ("smirks", "smirk", "half smile on one side", "crooked smile"),
        (r"\bsmirk\w*", r"\bhalf-? ?smile\b", r"\b(lopsided|crooked) (smile|grin)\b"),
    ),
    _action(
        "laugh", "mouth head lids", "laughs",
        ("laughs", "laugh", "chuckles", "giggles", "bursts out laughing"),
        (r"\b(laugh|chuckl|giggl)\w*",),
    ),
    _action(
        "pout", "mouth", "pouts the lips",
        ("pouts", "pout", "sulky lips", "sticks out lower lip"),
        (r"\bpout\w*",),
    ),
    _action(
        "purse lips", "mouth", "purses the lips",
        ("purses lips", "pursed lips", "presses lips together tightly", "tight lips"),
        (rf"\bpurs\w* {_POSS}lips\b",),
    ),
    *_sided(
        "look", "head gaze", "looks to the {side}",
        ("looks {side}", "turns to the {side}", "glances {side}", "gaze to the {side}",
         "eyes move {side}"),
        (_LOOK + r"{side}\b",),
    ),
    _action(
        "look up", "head gaze", "looks up",
        ("looks up", "gazes upward", "eyes up to the sky", "glances upward"),
        (_LOOK + r"(up(wards?)?|heavenwards?|skywards?)\b",),
    ),
    _action(
        "look down", "head gaze", "looks down",
        ("looks down", "gazes downward", "eyes lowered to the floor", "glances down"),
        (
            _LOOK + r"down(wards?)?\b",
            rf"\blower\w* {_POSS}(gaze|eyes)\b",
            r"\bat (his|her|their|its|the) (feet|floor|ground|lap|shoes)\b",
        ),
    ),
    _action(
        "look away", "head gaze", "looks away",
        ("looks away", "averts gaze", "turns eyes away", "breaks eye contact"),
        (r"\b(look|glanc|turn|gaz)\w* away\b", r"\bavert\w*", r"\b(avoid|break)\w* eye contact\b"),
    ),
    _action(
        "look at the viewer", "head gaze", "looks straight at the viewer",
        ("looks at the viewer", "looks at the camera", "makes eye contact",
         "stares straight ahead at you", "faces the viewer"),
        (r"\b(look|gaz|star|glanc)\w* (straight |directly |right )?(back )?at "
         r"(the )?(viewer|camera|you|me|us|audience)\b", r"\beye contact\b",
         r"\b(you|me|us) in the eyes?\b", r"\bmeets? (your|my|the viewer's) (gaze|eyes)\b"),
    ),
    _action(
        "close eyes", "lids", "closes the eyes",
        ("closes eyes", "eyes shut", "shuts eyes", "eyes closed for a moment"),
        (rf"\b(clos|shut)\w* {_POSS}eyes\b", r"\beyes (are )?(closed|shut)\b"),
    ),
    _action(
        "roll eyes", "gaze head", "rolls the eyes",
        ("rolls eyes", "eye roll", "rolls eyes in annoyance"),
        (rf"\broll\w* {_POSS}eyes\b", r"\beye ?roll\w*"),
    ),
    _action(
        "squint", "lids brows", "squints the eyes",
        ("squints", "squint", "narrows eyes", "eyes narrowed"),
        (r"\bsquint\w*", rf"\bnarrow\w* {_POSS}eyes\b"),
    ),
    _action(
        "sigh", "body head", "sighs, a deep breath out",
        ("sighs", "sigh", "takes a deep breath", "breathes out heavily", "exhales"),
        (r"\bsigh\w*", r"\bdeep breath\b", r"\bexhal\w*"),
    ),
    _action(
        "shrug", "body brows", "shrugs the shoulders, not sure",
        ("shrugs", "shrug", "shrugs the shoulders", "shrugs, who knows", "raises the shoulders"),
        (r"\bshrug\w*", rf"\b(rais|lift)\w* {_POSS}shoulders\b"),
    ),
    _action(
        "bow head", "head", "bows the head, chin down",
        ("bows head", "head bowed", "hangs head", "drops chin to chest"),
        (rf"\b(bow|hang)\w* {_POSS}head\b",),
    ),
)  # fmt: skip

VOCABULARY: tuple[Entry, ...] = ACTIONS + EMOTIONS
BY_NAME: dict[str, Entry] = {e.name: e for e in VOCABULARY}


def entry(name: str) -> Entry:
    """The entry called ``name``; KeyError names the closest known one."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown action or emotion {name!r}{suggest(name)}") from None


def suggest(name: str, kind: Kind | None = None) -> str:
    """' (did you mean "X"?)' for the closest known name of that kind, or ''."""
    names = [e.name for e in VOCABULARY if kind is None or e.kind == kind]
    close = difflib.get_close_matches(name.lower().strip(), names, n=1, cutoff=0.4)
    return f' (did you mean "{close[0]}"?)' if close else ""


def sibling(name: str, side: Side | None) -> str:
    """The member of ``name``'s family on ``side`` (the family default when side is None)."""
    e = BY_NAME[name]
    if e.family is None:
        return name
    side = side or SIDED_FAMILIES[e.family]
    return f"{e.family} {side}" if side else name
