"""The ``--timeline`` cue format: a JSON list of timed actions and emotion spans.

    [{"at": 2.5, "do": "nod"},
     {"from": 4, "to": 7, "emotion": "happy"},
     {"at": 8, "do": "look left", "for": 1.5, "count": 1, "intensity": 0.8}]

An action cue has "at" and "do" (a name from :data:`openlpm.prompts.vocabulary.ACTIONS`) and
may add "for" (seconds), "count" and "intensity". An emotion cue has "from", "to" and "emotion"
and may add "intensity". Times are seconds from the start, not negative, and cues are listed in
the order they start.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openlpm.errors import InputError
from openlpm.prompts.plan import PromptPlan, Step
from openlpm.prompts.vocabulary import BY_NAME, Kind, suggest

_ACTION_KEYS = {"at", "do", "for", "count", "intensity"}
_EMOTION_KEYS = {"from", "to", "emotion", "intensity"}


def load_timeline(source: str | Path | list[Any]) -> PromptPlan:
    """The plan for a timeline: a JSON file's path, or the already-parsed list."""
    cues = _read(Path(source)) if isinstance(source, str | Path) else source
    if not isinstance(cues, list):
        raise InputError('a timeline is a JSON list of cues like [{"at": 2.5, "do": "nod"}]')
    steps, last_start = [], 0.0
    for i, cue in enumerate(cues, start=1):
        where = f"timeline cue {i}"
        step = _cue(cue, where)
        if step.at is not None and step.at < last_start:
            raise InputError(
                f"{where} starts at {step.at:g} s, before cue {i - 1} ({last_start:g} s): "
                "list the cues in the order they start"
            )
        steps.append(step)
        last_start = step.at or 0.0
    return PromptPlan(tuple(steps))


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot read the timeline {path}: {e.strerror or e}") from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            f"the timeline {path} is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"
        ) from e


def _cue(cue: Any, where: str) -> Step:
    if not isinstance(cue, Mapping):
        raise InputError(f'{where} must be an object like {{"at": 2.5, "do": "nod"}}, got {cue!r}')
    keys = set(cue)
    if "emotion" in keys:
        _check_keys(keys, _EMOTION_KEYS, {"from", "to", "emotion"}, where)
        return _emotion_cue(cue, where)
    if "do" in keys:
        _check_keys(keys, _ACTION_KEYS, {"at", "do"}, where)
        return _action_cue(cue, where)
    raise InputError(f'{where} needs "do" (an action) or "emotion"; it has {sorted(keys)}')


def _check_keys(keys: set[str], allowed: set[str], required: set[str], where: str) -> None:
    if unknown := keys - allowed:
        raise InputError(
            f"{where} has unknown key(s) {sorted(unknown)}; allowed here: {sorted(allowed)}"
        )
    if missing := required - keys:
        raise InputError(f"{where} is missing {sorted(missing)}")


_USE = {"action": '{"at": 2.5, "do": "%s"}', "emotion": '{"from": 4, "to": 7, "emotion": "%s"}'}


def _name(value: Any, kind: Kind, where: str) -> str:
    name = " ".join(str(value).lower().split())
    if name in BY_NAME and BY_NAME[name].kind != kind:
        other = BY_NAME[name].kind
        raise InputError(f'{where}: "{name}" is an {other}; write it as {_USE[other] % name}')
    if name not in BY_NAME:
        known = ", ".join(n for n, e in BY_NAME.items() if e.kind == kind)
        raise InputError(f"{where}: unknown {kind} {value!r}{suggest(name, kind)}; known: {known}")
    return name


def _number(cue: Mapping[str, Any], key: str, where: str, default: float | None = None) -> Any:
    value = cue.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f'{where}: "{key}" must be a number of seconds >= 0, got {value!r}')
    return float(value)


def _action_cue(cue: Mapping[str, Any], where: str) -> Step:
    name = _name(cue["do"], "action", where)
    at, duration = _number(cue, "at", where), _number(cue, "for", where)
    count = cue.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10:
        raise InputError(f'{where}: "count" must be a whole number 1..10, got {count!r}')
    if duration == 0:
        raise InputError(f'{where}: "for" must be more than 0 seconds')
    return Step(name, count, _intensity(cue, where), at=at, duration=duration)


def _emotion_cue(cue: Mapping[str, Any], where: str) -> Step:
    name = _name(cue["emotion"], "emotion", where)
    start, end = _number(cue, "from", where), _number(cue, "to", where)
    if end <= start:
        raise InputError(f'{where}: "to" ({end:g}) must be after "from" ({start:g})')
    return Step(name, 1, _intensity(cue, where), at=start, duration=end - start)


def _intensity(cue: Mapping[str, Any], where: str) -> float:
    value = cue.get("intensity", 1.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 2:
        raise InputError(f'{where}: "intensity" must be a number in (0, 2], got {value!r}')
    return float(value)
