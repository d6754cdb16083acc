"""Phones -> visemes: the mouth shape each ARPAbet phone aims for, and how hard it insists.

A viseme is a target over the mouth channels plus a dominance (Cohen & Massaro 1993): how
strongly the phone pulls the mouth toward its target against its neighbours, and how far ahead
(anticipation) and behind (carry-over) that pull reaches. Bilabials and labiodentals dominate
the lips (p/b/m must close); rounding reaches far ahead (lips round before the vowel sounds);
vowels dominate the jaw.
"""

from __future__ import annotations

from dataclasses import dataclass

MOUTH_CHANNELS: tuple[str, ...] = (
    "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthUpperUpLeft",
    "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft",
    "mouthPressRight", "tongueOut",
)  # fmt: skip


@dataclass(frozen=True)
class Viseme:
    name: str
    target: dict[str, float]  # mouth channel -> weight; channels not named are 0
    strength: float = 1.0  # dominance peak
    lead_s: float = 0.08  # anticipation: how far before the phone centre the pull is felt
    lag_s: float = 0.06  # carry-over after the centre
    closes_lips: bool = False  # p/b/m: the lips must meet during the phone


def _sym(**weights: float) -> dict[str, float]:
    """Expand symmetric shorthand (stretch=0.3) into Left/Right channel names."""
    pairs = {
        "stretch": "mouthStretch",
        "upperUp": "mouthUpperUp",
        "lowerDown": "mouthLowerDown",
        "press": "mouthPress",
    }
    out: dict[str, float] = {}
    for key, value in weights.items():
        if key in pairs:
            out[pairs[key] + "Left"] = out[pairs[key] + "Right"] = value
        else:
            out[key] = value
    return out


# Jaw targets are set so that the rendered inner-lip gap falls in the human range measured from
# real talking videos (DESIGN.md: mean over a clip 0.035-0.053 face heights, 95th percentile
# 0.067-0.11) on every shared portrait style; at 2/3 of these values the narrowest-mouthed
# portraits stayed under it (issue 11). Open vowels also part the lips (lowerDown). The rest
# shape pulls twice as hard as before the wider jaw, so that the mouth still closes as soon
# in pauses (bench --quick: open in pauses 0.25 with 0.6, 0.125 with 1.2).
REST = Viseme("rest", {}, strength=1.2, lead_s=0.12, lag_s=0.12)
VISEMES: dict[str, Viseme] = {
    "PP": Viseme(
        "PP", _sym(jawOpen=0.02, press=0.35, mouthRollLower=0.1), 4.0, 0.07, 0.05, closes_lips=True
    ),
    "FF": Viseme("FF", _sym(jawOpen=0.12, mouthRollLower=0.55, upperUp=0.15), 3.0, 0.07, 0.05),
    "TH": Viseme("TH", _sym(jawOpen=0.24, tongueOut=0.35, stretch=0.1), 1.6),
    "DD": Viseme("DD", _sym(jawOpen=0.27, stretch=0.12), 0.9),
    "KK": Viseme("KK", _sym(jawOpen=0.36, stretch=0.08), 0.8),
    "CH": Viseme("CH", _sym(jawOpen=0.18, mouthFunnel=0.5, mouthPucker=0.2), 2.0, 0.12, 0.06),
    "SS": Viseme("SS", _sym(jawOpen=0.09, stretch=0.3), 1.6),
    "NN": Viseme("NN", _sym(jawOpen=0.21, stretch=0.08), 0.7),
    "RR": Viseme("RR", _sym(jawOpen=0.21, mouthPucker=0.35, mouthFunnel=0.2), 1.4, 0.12, 0.08),
    "I": Viseme("I", _sym(jawOpen=0.3, stretch=0.35), 1.2),
    "E": Viseme("E", _sym(jawOpen=0.57, stretch=0.2, lowerDown=0.15), 1.2),
    "A": Viseme("A", _sym(jawOpen=0.9, stretch=0.05, lowerDown=0.2), 1.3),
    "O": Viseme("O", _sym(jawOpen=0.63, mouthFunnel=0.55, mouthPucker=0.15), 1.5, 0.14, 0.08),
    "U": Viseme("U", _sym(jawOpen=0.24, mouthPucker=0.7, mouthFunnel=0.3), 1.8, 0.16, 0.08),
    "HH": Viseme("HH", _sym(jawOpen=0.45), 0.3),
}

PHONE_VISEME: dict[str, str] = {
    "P": "PP", "B": "PP", "M": "PP",
    "F": "FF", "V": "FF",
    "TH": "TH", "DH": "TH",
    "T": "DD", "D": "DD", "L": "DD",
    "K": "KK", "G": "KK", "NG": "KK",
    "CH": "CH", "JH": "CH", "SH": "CH", "ZH": "CH",
    "S": "SS", "Z": "SS",
    "N": "NN", "Y": "I",
    "R": "RR", "ER": "RR", "W": "U",
    "IY": "I", "IH": "I",
    "EH": "E", "EY": "E", "AE": "E",
    "AA": "A", "AH": "A", "AY": "A", "AW": "A",
    "AO": "O", "OW": "O", "OY": "O",
    "UW": "U", "UH": "U",
    "HH": "HH",
}  # fmt: skip


def viseme_for(phone: str) -> Viseme:
    """The viseme of an ARPAbet phone; silence and anything unknown is the rest shape."""
    name = PHONE_VISEME.get(phone)
    return VISEMES[name] if name else REST
