"""Tally scenarios (docs/tally-format.md): JSON document <-> engine input, and a decision as JSON data.

Three forms of document: a unit scenario for a question (units and yes/no/abstain ballots), a unit
scenario for an election (``"kind": "election"``: seats, candidates, ballots with the selected
candidates) and a totals scenario (``"format": "totals"``: the aggregated counts a public download
carries, question or election). ``load_scenario`` takes the raw bytes and returns validated engine
input; ``evaluate`` decides it and returns the output document. Every error is a ``RulesError``
whose field is a path into the document (``units[3].area``; indexes 0-based). Unknown keys are
rejected, so a misspelt ``"develper"`` or ``"ballot"`` cannot silently change a result.
``decision_to_dict`` and ``election_to_dict`` render results in the output format. No I/O here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from vote.rules.arithmetic import MAX_AREA_DIGITS, format_area, format_percent, parse_area
from vote.rules.election import ElectionResult, decide_election, tally_election
from vote.rules.engine import CHOICES, ZERO, Check, Choice, Count, Decision, decide, tally, validate_count
from vote.rules.errors import InvalidBallot, InvalidCount, InvalidScenario, InvalidUnit, RulesError
from vote.rules.fingerprint import preset_hash
from vote.rules.i18n import LOCALES, describe_check, election_summary
from vote.rules.members import UnitRecord, group_members
from vote.rules.presets import DEFAULT_PRESET, AreaTerm, Preset, get_preset, validate_matter

Mark = Literal["blank", "spoiled"]
MARKS: tuple[Mark, ...] = ("blank", "spoiled")

_QUESTION_KEYS = ("rule", "rule_hash", "matter", "kind", "units", "ballots")
_ELECTION_KEYS = ("rule", "rule_hash", "matter", "kind", "seats", "candidates", "units", "ballots")
_TOTALS_QUESTION_KEYS = ("format", "rule", "rule_hash", "matter", "kind", "scope", "participated", "yes", "no", "abstain",
                         "blank", "spoiled", "outcome")
_TOTALS_ELECTION_KEYS = ("format", "rule", "rule_hash", "matter", "kind", "seats", "scope", "participated", "blank", "spoiled",
                         "candidates", "outcome")
_UNIT_KEYS = ("id", "area", "owners", "developer")
_BALLOT_KEYS = ("unit", "choice", "mark")
_ELECTION_BALLOT_KEYS = ("unit", "selected", "mark")
_CANDIDATE_KEYS = ("id", "label")
_TOTALS_CANDIDATE_KEYS = ("id", "label", "yes")
_AMOUNT_KEYS = ("area", "heads")
_OUTCOMES = ("passed", "failed", "no-quorum")


@dataclass(frozen=True, slots=True)
class Scenario:
    """Validated engine input read from a unit scenario for a question."""

    rule: Preset
    matter: int
    units: tuple[UnitRecord, ...]
    ballots: tuple[tuple[str, Choice], ...]
    marks: tuple[Mark | None, ...] = ()
    """Per ballot, the informational mark of a blank or spoiled paper ballot (empty: none marked)."""
    rule_hash: str | None = None
    """The fingerprint of the preset the document claims (the meeting's notice froze it), if given."""


@dataclass(frozen=True, slots=True)
class ElectionScenario:
    """Validated engine input read from a unit scenario for an election."""

    rule: Preset
    matter: int
    seats: int
    candidates: tuple[tuple[str, str], ...]
    units: tuple[UnitRecord, ...]
    ballots: tuple[tuple[str, tuple[str, ...]], ...]
    marks: tuple[Mark | None, ...] = ()
    rule_hash: str | None = None


@dataclass(frozen=True, slots=True)
class TotalsScenario:
    """Validated aggregated counts read from a totals scenario (question or election).

    For a question ``yes``/``no``/``abstain`` are set and ``candidates`` is empty; for an election
    ``seats`` and ``candidates`` (id, label, yes) are set. ``published`` is the outcome the document
    claims: a question's outcome, or the tuple of elected candidate ids.
    """

    kind: Literal["question", "election"]
    rule: Preset
    matter: int
    total: Count
    participated: Count
    yes: Count = ZERO
    no: Count = ZERO
    abstain: Count = ZERO
    seats: int = 0
    candidates: tuple[tuple[str, str, Count], ...] = ()
    blank: Count | None = None
    spoiled: Count | None = None
    published: str | tuple[str, ...] | None = None
    rule_hash: str | None = None


AnyScenario = Scenario | ElectionScenario | TotalsScenario


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
    if developer:  # docs/tally-format.md: owners are ignored for developer units
        return UnitRecord(unit_id, area, frozenset(), True)
    if "owners" not in obj:
        raise InvalidUnit(f"{path}.owners", "required unless developer is true")
    owners = _list(obj["owners"], f"{path}.owners")
    if not owners:
        raise InvalidUnit(f"{path}.owners", "must not be empty unless developer is true")
    keys = frozenset(_string(owner, f"{path}.owners[{i}]", InvalidUnit) for i, owner in enumerate(owners))
    return UnitRecord(unit_id, area, keys, False)


def _mark(obj: Mapping[str, Any], path: str) -> Mark | None:
    """The optional informational ``mark`` of a paper ballot: ``blank`` or ``spoiled``."""
    if "mark" not in obj:
        return None
    mark = obj["mark"]
    if mark not in MARKS:
        shown = json.dumps(mark[:40]) if isinstance(mark, str) else _json_type(mark)
        raise InvalidBallot(f"{path}.mark", f"must be blank or spoiled; got {shown}")
    return mark  # type: ignore[no-any-return]


def _ballot(value: object, path: str) -> tuple[tuple[str, Choice], Mark | None]:
    """One ``ballots[]`` entry of a question, and its mark."""
    obj = _object(value, path, _BALLOT_KEYS)
    unit_id = _string(_required(obj, "unit", path), f"{path}.unit", InvalidBallot)
    choice = _required(obj, "choice", path)
    if not isinstance(choice, str) or choice not in CHOICES:
        shown = json.dumps(choice[:40]) if isinstance(choice, str) else _json_type(choice)
        raise InvalidBallot(f"{path}.choice", f"must be one of yes, no, abstain; got {shown}")
    mark = _mark(obj, path)
    if mark is not None and choice != "abstain":
        raise InvalidBallot(f"{path}.choice", f"must be abstain on a ballot marked {mark}")
    return (unit_id, choice), mark


def _election_ballot(value: object, path: str) -> tuple[tuple[str, tuple[str, ...]], Mark | None]:
    """One ``ballots[]`` entry of an election (the selected candidate ids), and its mark."""
    obj = _object(value, path, _ELECTION_BALLOT_KEYS)
    unit_id = _string(_required(obj, "unit", path), f"{path}.unit", InvalidBallot)
    selected = _list(_required(obj, "selected", path), f"{path}.selected")
    ids = tuple(_string(key, f"{path}.selected[{i}]", InvalidBallot) for i, key in enumerate(selected))
    mark = _mark(obj, path)
    if mark is not None and ids:
        raise InvalidBallot(f"{path}.selected", f"must be empty on a ballot marked {mark}")
    return (unit_id, ids), mark


def _rule(obj: Mapping[str, Any]) -> Preset:
    """The preset named by ``rule`` (``DEFAULT_PRESET`` when absent)."""
    rule = obj.get("rule", DEFAULT_PRESET)
    if not isinstance(rule, str):
        raise InvalidScenario("rule", f"must be a string, got {_json_type(rule)}")
    return get_preset(rule)


def _kind(document: object) -> str:
    """``question`` (the default) or ``election``."""
    kind = document.get("kind", "question") if isinstance(document, dict) else "question"
    if kind not in ("question", "election"):
        shown = json.dumps(kind[:40]) if isinstance(kind, str) else _json_type(kind)
        raise InvalidScenario("kind", f"must be question or election; got {shown}")
    return kind  # type: ignore[no-any-return]


def _units(obj: Mapping[str, Any]) -> tuple[UnitRecord, ...]:
    """The non-empty ``units`` array."""
    units = _list(_required(obj, "units", ""), "units")
    if not units:
        raise InvalidUnit("units", "must not be empty")
    return tuple(_unit(unit, f"units[{i}]") for i, unit in enumerate(units))


def _seats(obj: Mapping[str, Any]) -> int:
    """``seats``: a positive integer (the engine checks it against the number of candidates)."""
    seats = _required(obj, "seats", "")
    if not isinstance(seats, int) or isinstance(seats, bool):
        raise InvalidScenario("seats", f"must be an integer, got {_json_type(seats)}")
    return seats


def _candidate(value: object, path: str, keys: tuple[str, ...]) -> tuple[str, str]:
    """One ``candidates[]`` entry's id and label (a candidate may have an empty label)."""
    obj = _object(value, path, keys)
    key = _string(_required(obj, "id", path), f"{path}.id")
    label = obj.get("label", "")
    if not isinstance(label, str):
        raise InvalidScenario(f"{path}.label", f"must be a string, got {_json_type(label)}")
    return key, label


def _candidates(obj: Mapping[str, Any]) -> list[Any]:
    """The non-empty ``candidates`` array."""
    candidates = _list(_required(obj, "candidates", ""), "candidates")
    if not candidates:
        raise InvalidScenario("candidates", "must not be empty")
    return candidates


def _amount(value: object, path: str) -> Count:
    """A totals amount ``{"area": "317.00", "heads": 3}``: area ≥ 0 with ≤ 2 decimals, heads ≥ 0."""
    obj = _object(value, path, _AMOUNT_KEYS)
    try:
        area_centi = parse_area(_required(obj, "area", path), allow_zero=True)
    except ValueError as error:
        raise InvalidCount(f"{path}.area", str(error)) from None
    heads = _required(obj, "heads", path)
    if not isinstance(heads, int) or isinstance(heads, bool) or heads < 0:
        raise InvalidCount(f"{path}.heads", f"must be a non-negative integer, got {json.dumps(heads)[:40]}")
    if heads >= 10**MAX_AREA_DIGITS:
        raise InvalidCount(f"{path}.heads", f"must be less than 1{'0' * MAX_AREA_DIGITS}")
    return validate_count(path, Count(area_centi, heads))


def _question(obj: Mapping[str, Any]) -> Scenario:
    """A unit scenario for a question (the original docs/tally-format.md document)."""
    preset = _rule(obj)
    matter = validate_matter(_required(obj, "matter", ""))
    units = _units(obj)
    ballots = _list(_required(obj, "ballots", ""), "ballots")
    parsed = [_ballot(ballot, f"ballots[{i}]") for i, ballot in enumerate(ballots)]
    marks = tuple(mark for _ballot_, mark in parsed)
    return Scenario(rule=preset, matter=matter, units=units, ballots=tuple(b for b, _mark_ in parsed),
                    marks=marks if any(marks) else ())


def _election(obj: Mapping[str, Any]) -> ElectionScenario:
    """A unit scenario for an election: seats, candidates, and ballots with the selected ids."""
    preset = _rule(obj)
    matter = validate_matter(_required(obj, "matter", ""))
    seats = _seats(obj)
    candidates = tuple(_candidate(c, f"candidates[{i}]", _CANDIDATE_KEYS) for i, c in enumerate(_candidates(obj)))
    units = _units(obj)
    ballots = _list(_required(obj, "ballots", ""), "ballots")
    parsed = [_election_ballot(ballot, f"ballots[{i}]") for i, ballot in enumerate(ballots)]
    marks = tuple(mark for _ballot_, mark in parsed)
    return ElectionScenario(rule=preset, matter=matter, seats=seats, candidates=candidates, units=units,
                            ballots=tuple(b for b, _mark_ in parsed), marks=marks if any(marks) else ())


def _check_marks(blank: Count | None, spoiled: Count | None, room: Count, field: str) -> None:
    """Blank and spoiled ballots are abstentions: together they fit within ``room``."""
    marked = (blank or ZERO) + (spoiled or ZERO)
    if marked.area_centi > room.area_centi or marked.heads > room.heads:
        raise InvalidCount("spoiled" if spoiled is not None else "blank", f"blank + spoiled exceeds {field}")


def _totals(obj: Mapping[str, Any]) -> TotalsScenario:
    """A totals scenario: what the public download of one motion carries."""
    if obj.get("format") != "totals":
        shown = json.dumps(obj["format"])[:40] if "format" in obj else ""
        raise InvalidScenario("format", f"must be \"totals\" (or absent for a unit scenario); got {shown}")
    kind = _kind(obj)
    _object(obj, "", _TOTALS_QUESTION_KEYS if kind == "question" else _TOTALS_ELECTION_KEYS)
    preset = _rule(obj)
    matter = validate_matter(_required(obj, "matter", ""))
    total = _amount(_required(obj, "scope", ""), "scope")
    if total.heads == 0:
        raise InvalidCount("scope.heads", "the voting scope must have at least one member")
    participated = _amount(_required(obj, "participated", ""), "participated")
    if participated.area_centi > total.area_centi or participated.heads > total.heads:
        raise InvalidCount("participated", "exceeds the scope")
    blank = _amount(obj["blank"], "blank") if "blank" in obj else None
    spoiled = _amount(obj["spoiled"], "spoiled") if "spoiled" in obj else None
    if kind == "question":
        yes, no, abstain = (_amount(_required(obj, key, ""), key) for key in CHOICES)
        summed = yes + no + abstain
        if summed != participated:
            raise InvalidCount("participated", f"must equal yes + no + abstain (area {format_area(summed.area_centi)}, "
                                               f"heads {summed.heads})")
        _check_marks(blank, spoiled, abstain, "abstain")
        published: str | tuple[str, ...] | None = None
        if "outcome" in obj:
            if obj["outcome"] not in _OUTCOMES:
                raise InvalidScenario("outcome", "must be one of passed, failed, no-quorum")
            published = obj["outcome"]
        return TotalsScenario(kind="question", rule=preset, matter=matter, total=total, participated=participated,
                              yes=yes, no=no, abstain=abstain, blank=blank, spoiled=spoiled, published=published)

    seats = _seats(obj)
    candidates = []
    for index, value in enumerate(_candidates(obj)):
        path = f"candidates[{index}]"
        key, label = _candidate(value, path, _TOTALS_CANDIDATE_KEYS)
        yes = _amount(_required(value, "yes", path), f"{path}.yes")
        if yes.area_centi > participated.area_centi or yes.heads > participated.heads:
            raise InvalidCount(f"{path}.yes", "exceeds participated")
        _check_marks(blank, spoiled, Count(participated.area_centi - yes.area_centi, participated.heads - yes.heads),
                     f"the members who did not select {path}")
        candidates.append((key, label, yes))
    published = None
    if "outcome" in obj:
        outcome = _object(obj["outcome"], "outcome", ("elected",))
        elected = _list(_required(outcome, "elected", "outcome"), "outcome.elected")
        known = {key for key, _label, _yes in candidates}
        for index, key in enumerate(elected):
            if not isinstance(key, str) or key not in known:
                shown = json.dumps(key)[:40]
                raise InvalidScenario(f"outcome.elected[{index}]", f"unknown candidate {shown}")
            if key in elected[:index]:
                raise InvalidScenario(f"outcome.elected[{index}]", f"candidate {json.dumps(key)} listed twice")
        published = tuple(elected)
    return TotalsScenario(kind="election", rule=preset, matter=matter, total=total, participated=participated,
                          seats=seats, candidates=tuple(candidates), blank=blank, spoiled=spoiled, published=published)


def parse_scenario(document: object) -> AnyScenario:
    """Validate a decoded scenario document (any of the three forms) into engine input."""
    if isinstance(document, dict) and "format" in document:
        scenario: AnyScenario = _totals(document)
    else:
        kind = _kind(document)
        obj = _object(document, "", _QUESTION_KEYS if kind == "question" else _ELECTION_KEYS)
        scenario = _question(obj) if kind == "question" else _election(obj)
    if isinstance(document, dict) and "rule_hash" in document:
        scenario = replace(scenario, rule_hash=_rule_hash(document["rule_hash"]))
    return scenario


def _rule_hash(value: object) -> str:
    """The optional ``rule_hash``: 64 lower-case hexadecimal digits (a SHA-256)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise InvalidScenario("rule_hash", "must be 64 lower-case hexadecimal digits (the preset's SHA-256)")
    return value


def load_scenario(raw: bytes | str, source: str = "scenario") -> AnyScenario:
    """Parse and validate scenario JSON; ``source`` (e.g. the file name) names JSON syntax errors."""
    return parse_scenario(parse_json(raw, source))


def count_to_dict(count: Count) -> dict[str, Any]:
    """``{"area": "317.00", "heads": 3}``."""
    return {"area": format_area(count.area_centi), "heads": count.heads}


def checks_to_list(checks: tuple[Check, ...], area_term: AreaTerm) -> list[dict[str, Any]]:
    """Checks in the output shape, each explained in zh_CN and en."""
    rendered = []
    for check in checks:
        values = [format_area(v) if check.dimension == "area" else v for v in check.value]
        rendered.append({
            "kind": check.kind,
            "dimension": check.dimension,
            "numerator": check.numerator,
            "base": check.base,
            "value": values,
            "percent": None if check.base == "no" else format_percent(*check.value),
            "comparison": check.comparison,
            "required": [check.required.num, check.required.den],
            "met": check.met,
            "text": {loc: describe_check(check, loc, area_term) for loc in LOCALES},
        })
    return rendered


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """A decision in the output shape of a question, with its checks explained in zh_CN and en."""
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
        "checks": checks_to_list(decision.checks, decision.area_term),
    }


def election_to_dict(election: ElectionResult) -> dict[str, Any]:
    """An election in the output shape: seats filled, participation checks, every candidate, who is elected."""
    labels = {candidate.key: candidate.label or candidate.key for candidate in election.candidates}
    return {
        "rule": election.rule,
        "matter": election.matter,
        "kind": "election",
        "seats": election.seats,
        "seats_filled": election.seats_filled,
        "by_election_needed": election.by_election_needed,
        "outcome": election.outcome,
        "threshold_class": election.threshold_class,
        "total": count_to_dict(election.total),
        "participated": count_to_dict(election.participated),
        "checks": checks_to_list(election.checks, election.area_term),
        "candidates": [
            {
                "id": candidate.key,
                "label": candidate.label,
                "yes": count_to_dict(candidate.decision.yes),
                "abstain": count_to_dict(candidate.decision.abstain),
                "outcome": candidate.decision.outcome,
                "status": candidate.status,
                "rank": candidate.rank,
                "checks": checks_to_list(candidate.decision.checks, election.area_term),
            }
            for candidate in election.candidates
        ],
        "elected": list(election.elected),
        "summary": {loc: election_summary([labels[key] for key in election.elected], election.seats,
                                          election.seats_filled, no_quorum=election.outcome == "no-quorum", locale=loc)
                    for loc in LOCALES},
    }


def _marked(units: tuple[UnitRecord, ...], unit_ids: list[str], marks: tuple[Mark | None, ...]) -> dict[str, Count]:
    """The members (area and heads) whose ballot is marked blank, and spoiled (ballots already validated)."""
    member_of = {unit_id: member for member in group_members(units) for unit_id in member.unit_ids}
    counts = {mark: ZERO for mark in MARKS}
    for unit_id, mark in zip(unit_ids, marks, strict=True):
        if mark is not None:
            counts[mark] += Count(member_of[unit_id].area_centi, 1)
    return counts


def evaluate(scenario: AnyScenario) -> dict[str, Any]:
    """Decide a validated scenario and return the output document (``vote tally``'s JSON).

    Question: the decision with ``"kind": "question"``; election: ``election_to_dict``. Both add the
    ``blank`` and ``spoiled`` counts (zero when nothing is marked); a totals scenario that carries the
    published outcome adds ``published_outcome_matches``.
    """
    if isinstance(scenario, Scenario):
        output = {**decision_to_dict(tally(scenario.rule, scenario.matter, scenario.units, scenario.ballots)),
                  "kind": "question"}
        marks = scenario.marks and _marked(scenario.units, [unit for unit, _c in scenario.ballots], scenario.marks)
    elif isinstance(scenario, ElectionScenario):
        output = election_to_dict(tally_election(scenario.rule, scenario.matter, scenario.seats, scenario.candidates,
                                                 scenario.units, scenario.ballots))
        marks = scenario.marks and _marked(scenario.units, [unit for unit, _s in scenario.ballots], scenario.marks)
    elif scenario.kind == "question":
        decision = decide(scenario.rule, scenario.matter, total=scenario.total, yes=scenario.yes, no=scenario.no,
                          abstain=scenario.abstain)
        output = {**decision_to_dict(decision), "kind": "question"}
        marks = {"blank": scenario.blank or ZERO, "spoiled": scenario.spoiled or ZERO}
    else:
        election = decide_election(scenario.rule, scenario.matter, scenario.seats, total=scenario.total,
                                   participated=scenario.participated, candidates=scenario.candidates)
        output = election_to_dict(election)
        marks = {"blank": scenario.blank or ZERO, "spoiled": scenario.spoiled or ZERO}
    output["blank"] = count_to_dict((marks or {}).get("blank", ZERO))
    output["spoiled"] = count_to_dict((marks or {}).get("spoiled", ZERO))
    if scenario.rule_hash is not None:
        # The preset the result was decided by (frozen at the notice) must be the one this engine applies.
        output["rule_hash_matches"] = scenario.rule_hash == preset_hash(scenario.rule)
    if isinstance(scenario, TotalsScenario) and scenario.published is not None:
        if scenario.kind == "question":
            output["published_outcome_matches"] = scenario.published == output["outcome"]
        else:
            output["published_outcome_matches"] = sorted(scenario.published) == sorted(output["elected"])
    return output
