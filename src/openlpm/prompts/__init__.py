"""Text-prompt motion control: "smiles slightly, then nods twice" -> curves over a performance.

    plan = parse_prompt("smiles slightly, then looks to the left")
    if plan.not_understood:
        warn("did not understand: " + "; ".join(plan.not_understood))
    track = apply_plan(plan, track)                 # or load_timeline("cues.json")

:mod:`~openlpm.prompts.vocabulary` lists what can be asked for; :mod:`~openlpm.prompts.parse`
documents the order words; :mod:`~openlpm.prompts.modifiers` the count and intensity words.
The embedding model loads on the first clause the keywords do not settle (about 4 s).
"""

from openlpm.prompts.apply import apply_plan
from openlpm.prompts.parse import MIN_SIMILARITY, parse_prompt
from openlpm.prompts.plan import PromptPlan, Step
from openlpm.prompts.schedule import Cue, schedule, total_duration
from openlpm.prompts.timeline import load_timeline
from openlpm.prompts.vocabulary import ACTIONS, EMOTIONS, VOCABULARY

__all__ = [
    "ACTIONS",
    "EMOTIONS",
    "MIN_SIMILARITY",
    "VOCABULARY",
    "Cue",
    "PromptPlan",
    "Step",
    "apply_plan",
    "load_timeline",
    "parse_prompt",
    "schedule",
    "total_duration",
]
