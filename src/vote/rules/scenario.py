"""Tally scenarios (TALLY-FORMAT.md): JSON document <-> engine input, and a decision as JSON data.

``load_scenario`` takes the raw bytes of a scenario and returns validated engine input; every error
is a ``RulesError`` whose field is a path into the document (``units[3].area``; indexes 0-based).
Unknown keys are rejected, so a misspelt ``"develper"`` or ``"ballot"`` cannot silently change a
result. ``decision_to_dict`` renders a ``Decision`` in the output format. No file or stream I/O here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vote.rules.arithmetic import format_area, format_percent, parse_area
from vote.rules.engine import CHOICES, Choice, Count, Decision
from vote.rules.errors import InvalidBallot, InvalidScenario, InvalidUnit, RulesError
from vote.rules.i18n import LOCALES, describe_check
from vote.rules.members import UnitRecord
from vote.rules.presets import DEFAULT_PRESET, Preset, get_preset, validate_matter

_TOP_KEYS = ("rule", "matter", "units", "ballots")
_UNIT_KEYS = ("id", "area", "owners", "developer")
_BALLOT_KEYS = ("unit", "choice")


@dataclass(frozen=True, slots=True)
class Scenario:
    """Validated engine input read from a scenario document."""

    rule: Preset
    matter: int
    units: tuple[UnitRecord, ...]
    ballots: tuple[tuple[str, Choice], ...]


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json`` object hook: a key given twice is an error, not "last one wins"."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {json.dumps(key)}")
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    """``json`` constant hook: NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes | str, source: str) -> object:
    """Strict JSON (UTF-8, optional BOM; no duplicate keys, no NaN); errors name ``source``."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise InvalidScenario(source, f"not UTF-8 text (byte {error.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise InvalidScenario(source, f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    except ValueError as error:
        raise InvalidScenario(source, f"invalid JSON: {error}") from None
    except RecursionError:
        raise InvalidScenario(source, "invalid JSON: nested too deeply") from None


def _child(path: str, key: str) -> str:
    """The path of ``key`` inside the object at ``path`` (JSON-quoted when not a plain name)."""
    name = key if key.isidentifier() else f"[{json.dumps(key)}]"
    if not path:
        return name
    return f"{path}.{name}" if key.isidentifier() else f"{path}{name}"


def _object(value: object, path: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    """Require a JSON object with only ``allowed`` keys (``path`` "" is the whole document)."""
    if not isinstance(value, dict):
        raise InvalidScenario(path or "scenario", f"must be an object, got {_json_type(value)}")
    for key in value:
        if key not in allowed:
            raise InvalidScenario(_child(path, key), f"unknown key; expected one of {', '.join(allowed)}")
    return value


def _json_type(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def _required(obj: Mapping[str, Any], key: str, path: str) -> Any:
    """``obj[key]``, or an error naming the missing field."""
    if key not in obj:
        raise InvalidScenario(_child(path, key), "required")
    return obj[key]


def _list(value: object, path: str) -> list[Any]:
    """Require a JSON array."""
    if not isinstance(value, list):
        raise InvalidScenario(path, f"must be an array, got {_json_type(value)}")
    return value


def _string(value: object, path: str, error: type[RulesError] = InvalidScenario) -> str:
    """Require a non-empty JSON string."""
    if not isinstance(value, str):
        raise error(path, f"must be a string, got {_json_type(value)}")
    if not value:
        raise error(path, "must not be empty")
    return value


def _unit(value: object, path: str) -> UnitRecord:
    """One ``units[]`` entry."""
    obj = _object(value, path, _UNIT_KEYS)
    unit_id = _string(_required(obj, "id", path), f"{path}.id", InvalidUnit)
    try:
        area = parse_area(_required(obj, "area", path))
    except ValueError as error:
        raise InvalidUnit(f"{path}.area", str(error)) from None
    developer = obj.get("developer", False)
    if not isinstance(developer, bool):
        raise InvalidUnit(f"{path}.developer", f"must be true or false, got {_json_type(developer)}")
    if developer:  # TALLY-FORMAT: owners are ignored for developer units
        return UnitRecord(unit_id, area, frozenset(), True)
    if "owners" not in obj:
        raise InvalidUnit(f"{path}.owners", "required unless developer is true")
    owners = _list(obj["owners"], f"{path}.owners")
    if not owners:
        raise InvalidUnit(f"{path}.owners", "must not be empty unless developer is true")
    keys = frozenset(_string(owner, f"{path}.owners[{i}]", InvalidUnit) for i, owner in enumerate(owners))
    return UnitRecord(unit_id, area, keys, False)


def _ballot(value: object, path: str) -> tuple[str, Choice]:
    """One ``ballots[]`` entry."""
    obj = _object(value, path, _BALLOT_KEYS)
    unit_id = _string(_required(obj, "unit", path), f"{path}.unit", InvalidBallot)
    choice = _required(obj, "choice", path)
    if not isinstance(choice, str) or choice not in CHOICES:
        shown = json.dumps(choice[:40]) if isinstance(choice, str) else _json_type(choice)
        raise InvalidBallot(f"{path}.choice", f"must be one of yes, no, abstain; got {shown}")
    return unit_id, choice


def parse_scenario(document: object) -> Scenario:
    """Validate a decoded scenario document (TALLY-FORMAT.md "Input") into engine input."""
    obj = _object(document, "", _TOP_KEYS)
    rule = obj.get("rule", DEFAULT_PRESET)
    if not isinstance(rule, str):
        raise InvalidScenario("rule", f"must be a string, got {_json_type(rule)}")
    preset = get_preset(rule)
    matter = validate_matter(_required(obj, "matter", ""))
    units = _list(_required(obj, "units", ""), "units")
    if not units:
        raise InvalidUnit("units", "must not be empty")
    ballots = _list(_required(obj, "ballots", ""), "ballots")
    return Scenario(
        rule=preset,
        matter=matter,
        units=tuple(_unit(unit, f"units[{i}]") for i, unit in enumerate(units)),
        ballots=tuple(_ballot(ballot, f"ballots[{i}]") for i, ballot in enumerate(ballots)),
    )


def load_scenario(raw: bytes | str, source: str = "scenario") -> Scenario:
    """Parse and validate scenario JSON; ``source`` (e.g. the file name) names JSON syntax errors."""
    return parse_scenario(parse_json(raw, source))


def count_to_dict(count: Count) -> dict[str, Any]:
    """``{"area": "317.00", "heads": 3}``."""
    return {"area": format_area(count.area_centi), "heads": count.heads}


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """A decision in the TALLY-FORMAT.md output shape, with its checks explained in zh_CN and en."""
    checks = []
    for check in decision.checks:
        values = [format_area(v) if check.dimension == "area" else v for v in check.value]
        checks.append({
            "kind": check.kind,
            "dimension": check.dimension,
            "numerator": check.numerator,
            "base": check.base,
            "value": values,
            "percent": None if check.base == "no" else format_percent(*check.value),
            "comparison": check.comparison,
            "required": [check.required.num, check.required.den],
            "met": check.met,
            "text": {loc: describe_check(check, loc, decision.area_term) for loc in LOCALES},
        })
    return {
        "rule": decision.rule,
        "matter": decision.matter,
        "outcome": decision.outcome,
        "threshold_class": decision.threshold_class,
        "total": count_to_dict(decision.total),
        "participated": count_to_dict(decision.participated),
        "yes": count_to_dict(decision.yes),
        "no": count_to_dict(decision.no),
        "abstain": count_to_dict(decision.abstain),
        "checks": checks,
    }
