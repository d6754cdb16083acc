"""Random sentences for TTS training data: phonetically rich, heavy on the lip-shaping sounds
(p/b/m, f/v, w, rounded vowels), in English and a few other eSpeak languages.

Sentences are drawn from small grammars over word pools, so the same seed gives the same text
and there are far more sentences than any training run needs.
"""

from __future__ import annotations

import numpy as np


def _w(words: str) -> list[str]:
    return words.split()


_EN = {
    "name": _w(
        "Bob Pam Mabel Bill Molly Peter Maple Barbara Phil Vivian Walter Maud Ruby Paul Bea "
        "Moe Fiona Victor Wanda Boris Penny Tom Judy Oliver Emma Hugo Zoe Arthur Chloe Sam"
    ),
    "det": _w("the a my your his her our this that every some one"),
    "adj": _w(
        "big blue purple brown warm pretty bumpy poor smooth old new proper fuzzy vivid "
        "humble bright mellow massive famous plump woolly cheap fresh moody"
    ),
    "noun": _w(
        "map pumpkin pie boat bottle ball puppy monkey mop umbrella violin football "
        "spoon moon pool bubble ribbon pebble apple muffin hammer photo window mirror van "
        "phone box robot broom pavement beach meadow movie museum program problem number"
    ),
    "verb": _w(
        "bought brought moved made baked grabbed bumped fixed found paved wove shaped "
        "polished fumbled wrapped dropped swapped mopped popped pushed pulled "
        "borrowed painted improved"
    ),
    "prep": _w("by beneath above beyond from behind with over past upon toward"),
    "adv": _w("maybe perhaps probably barely boldly very mostly oddly quietly happily"),
    "intj": _w("oh wow hmm well yes no okay hey boo phew"),
    "num": _w("five nine twelve forty ninety one hundred two thousand seventy seven"),
}
_EN_FRAMES = (
    "{name} {verb} {det} {adj} {noun} {prep} {det} {noun}.",
    "{intj}, {name} {adv} {verb} {det} {noun}!",
    "Why would {name} move {det} {adj} {noun} {prep} the {noun}?",
    "{det} {adj} {noun} and {det} {adj} {noun} were {adv} {adj}.",
    "Please pass {name} the {num} {adj} {noun}s.",
    "{name} and {name} {verb} {num} {noun}s {prep} the {adj} {noun}.",
    "We'll meet by the {noun} at {num}, maybe before the {noun} opens.",
    "Who moved my {noun}? {name} {adv} {verb} it!",
    "{intj}! Mama made {det} {adj} {noun} for {name}.",
    "Four vivid photos of {det} {adj} {noun} were moved {prep} the {noun}.",
    "Would you bring me {det} {adj} {noun}, {name}?",
    "{name} {adv} {verb} the {noun}; {name} {verb} the {noun}.",
)

_OTHER: dict[str, tuple[tuple[str, ...], dict[str, list[str]]]] = {
    "de": (
        (
            "{name} hat {det} {noun} {adv} gebracht.",
            "Bitte bring mir {det} {noun}, {name}!",
            "Warum mag {name} {det} {noun} {prep} dem {noun2}?",
            "Mama und Papa bauen {det} {noun} im Wald.",
        ),
        {
            "name": _w("Bernd Paula Moritz Wolfgang Birgit Jürgen Ute Mia Felix Otto"),
            "det": _w("den einen meinen deinen"),
            "noun": _w("Ball Baum Apfel Becher Mantel Pudding Wagen Vogel Hammer Pfeffer"),
            "noun2": _w("Brunnen Boot Fenster Bett Mond Hof"),
            "prep": _w("neben vor hinter unter über bei"),
            "adv": _w("schon wieder morgen bald sofort wohl"),
        },
    ),
    "fr": (
        (
            "{name} a mis {det} {noun} {prep} la {noun2}.",
            "Pourquoi {name} boit-il du {food}?",
            "Maman, passe-moi {det} {noun}, s'il te plaît!",
            "Bonjour {name}, tu veux du {food}?",
        ),
        {
            "name": _w("Pierre Paul Marie Bob Mathilde Vincent Baptiste Sophie Louis Amélie"),
            "det": _w("le un mon ton"),
            "noun": _w("bateau ballon pain vélo parapluie mouton poisson bouquet"),
            "noun2": _w("boîte maison fenêtre plage porte pomme"),
            "prep": _w("dans sous sur près de devant"),
            "food": _w("vin beurre miel fromage poivre bouillon"),
        },
    ),
    "es": (
        (
            "{name} compró {det} {noun} para {name}.",
            "¿Por qué {name} bebe mucho {food}?",
            "Mamá, pásame {det} {noun}, por favor.",
            "Buenos días, {name}, vamos a la playa.",
        ),
        {
            "name": _w("Pablo Beatriz Miguel Paloma Bruno Marta Vicente Lupe Mateo Pilar"),
            "det": _w("el un mi tu"),
            "noun": _w("barco balón pan vaso pájaro pimiento libro mapa bolso"),
            "food": _w("vino agua café mango pomelo"),
        },
    ),
    "it": (
        (
            "{name} ha comprato {det} {noun} per la mamma.",
            "Perché {name} beve sempre {food}?",
            "Buongiorno {name}, vuoi un po' di {food}?",
            "Il bambino porta {det} {noun} a Roma.",
        ),
        {
            "name": _w("Paolo Beppe Marta Bruno Pia Matteo Bianca Vittorio Lucia Umberto"),
            "det": _w("il un mio tuo"),
            "noun": _w("pallone pane vaso biscotto panino ombrello mappa"),
            "food": _w("vino latte caffè brodo miele"),
        },
    ),
    "pt": (
        (
            "{name} comprou {det} {noun} para o pai.",
            "Porque é que {name} bebe tanto {food}?",
            "Bom dia {name}, vamos passear na praia.",
            "A mamã pôs {det} {noun} na mesa.",
        ),
        {
            "name": _w("Paulo Beatriz Miguel Bruna Pedro Mariana Vasco Filipa"),
            "det": _w("o um meu teu"),
            "noun": _w("barco bolo pão copo pombo mapa balão"),
            "food": _w("vinho leite café sumo"),
        },
    ),
    "nl": (
        (
            "{name} heeft {det} {noun} meegebracht.",
            "Waarom wil {name} meer {food}?",
            "Mama en papa maken {det} {noun} voor {name}.",
            "Morgen gaan we met de boot naar Breda.",
        ),
        {
            "name": _w("Bram Pim Maartje Bob Floor Wim Femke Pieter Mies Vincent"),
            "det": _w("de een mijn jouw"),
            "noun": _w("bal boom appel boterham pop fiets bloem vlag"),
            "food": _w("melk boter pap koffie vla"),
        },
    ),
}

OTHER_LANGUAGES: tuple[str, ...] = tuple(_OTHER)


def sentence(rng: np.random.Generator, language: str = "en") -> str:
    """One random sentence in ``language`` ("en" or one of OTHER_LANGUAGES)."""
    if language == "en":
        frames, pools = _EN_FRAMES, _EN
    else:
        frames, pools = _OTHER[language]
    text = str(frames[rng.integers(len(frames))])
    while "{" in text:  # fill slots one at a time: repeated slots get different words
        start = text.index("{")
        end = text.index("}", start)
        pool = pools[text[start + 1 : end]]
        text = text[:start] + str(pool[rng.integers(len(pool))]) + text[end + 1 :]
    return text[0].upper() + text[1:]
