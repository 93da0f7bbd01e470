"""``vote tally`` beyond the question: paper ballot marks, the election form and the totals form.

Each form is checked for its output, each of its errors (exit 2, one line naming the field), and the
totals form against the unit form: the totals a unit scenario's output carries, fed back as a totals
scenario, give the same decision (hypothesis, over random communities).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vote.rules import evaluate, group_members, parse_scenario
from tests.support.tally import assert_invalid, changed, run_document

UNITS = [
    {"id": "1-101", "area": "70.00", "owners": ["o-1"]},
    {"id": "P-001", "area": "10.00", "owners": ["o-1"]},
    {"id": "1-102", "area": "100.00", "owners": ["o-2"]},
    {"id": "1-201", "area": "90.00", "owners": ["o-3", "o-4"]},
    {"id": "1-202", "area": "110.00", "owners": ["o-5"]},
    {"id": "9-101", "area": "120.00", "developer": True},
]
ELECTION: dict[str, Any] = {
    "rule": "cn-civil-code-2021", "matter": 3, "kind": "election", "seats": 2,
    "candidates": [{"id": "1", "label": "甲"}, {"id": "2", "label": "乙"}, {"id": "3", "label": "丙"}],
    "units": UNITS,
    "ballots": [
        {"unit": "P-001", "selected": ["1", "2"]},
        {"unit": "1-102", "selected": ["1"]},
        {"unit": "1-201", "selected": ["2", "1"]},
        {"unit": "1-202", "selected": [], "mark": "blank"},
    ],
}
QUESTION: dict[str, Any] = {
    "rule": "cn-civil-code-2021", "matter": 4, "units": UNITS,
    "ballots": [
        {"unit": "1-101", "choice": "yes"},
        {"unit": "1-102", "choice": "yes"},
        {"unit": "1-201", "choice": "abstain", "mark": "spoiled"},
        {"unit": "9-101", "choice": "no"},
    ],
}
TOTALS_QUESTION: dict[str, Any] = {
    "format": "totals", "rule": "cn-civil-code-2021", "matter": 4, "kind": "question",
    "scope": {"area": "500.00", "heads": 5}, "participated": {"area": "400.00", "heads": 4},
    "yes": {"area": "180.00", "heads": 2}, "no": {"area": "120.00", "heads": 1},
    "abstain": {"area": "100.00", "heads": 1}, "blank": {"area": "0.00", "heads": 0},
    "spoiled": {"area": "100.00", "heads": 1}, "outcome": "failed",
}
TOTALS_ELECTION: dict[str, Any] = {
    "format": "totals", "rule": "cn-civil-code-2021", "matter": 3, "kind": "election", "seats": 2,
    "scope": {"area": "500.00", "heads": 5}, "participated": {"area": "380.00", "heads": 4},
    "blank": {"area": "110.00", "heads": 1},
    "candidates": [
        {"id": "1", "label": "甲", "yes": {"area": "270.00", "heads": 3}},
        {"id": "2", "label": "乙", "yes": {"area": "170.00", "heads": 2}},
        {"id": "3", "label": "丙", "yes": {"area": "0.00", "heads": 0}},
    ],
    "outcome": {"elected": ["1"]},
}


def tallied(document: Any, directory: Path) -> dict[str, Any]:
    """Run ``vote tally`` on ``document``; it must succeed with one JSON object and nothing on stderr."""
    code, out, err = run_document(document, directory)
    assert (code, err) == (0, ""), err
    return json.loads(out)


def test_an_election_scenario(tmp_path: Path) -> None:
    """Seats, candidates and who is elected, in the agreed output shape; a blank ballot takes part."""
    result = tallied(ELECTION, tmp_path)
    assert list(result)[:8] == ["rule", "matter", "kind", "seats", "seats_filled", "by_election_needed", "outcome",
                                "threshold_class"]
    assert (result["kind"], result["seats"], result["outcome"]) == ("election", 2, "decided")
    assert result["total"] == {"area": "500.00", "heads": 5}
    assert result["participated"] == {"area": "380.00", "heads": 4}
    assert result["blank"] == {"area": "110.00", "heads": 1}
    assert result["spoiled"] == {"area": "0.00", "heads": 0}
    first, second, third = result["candidates"]
    assert set(first) == {"id", "label", "yes", "abstain", "outcome", "status", "rank", "checks"}
    assert (first["id"], first["label"], first["yes"], first["abstain"]) == (
        "1", "甲", {"area": "270.00", "heads": 3}, {"area": "110.00", "heads": 1})
    assert (first["status"], first["rank"], first["outcome"]) == ("elected", 1, "passed")
    # 乙: 2 of 4 owners is not more than half: failed, so the second seat stays empty.
    assert (second["status"], second["rank"], second["outcome"]) == ("failed", None, "failed")
    assert (third["status"], third["yes"]) == ("failed", {"area": "0.00", "heads": 0})
    assert (result["elected"], result["seats_filled"], result["by_election_needed"]) == (["1"], 1, True)
    assert [c["kind"] for c in result["checks"]] == ["participation", "participation"]
    assert {c["kind"] for c in first["checks"]} == {"participation", "approval"}


def test_a_question_with_marked_paper_ballots(tmp_path: Path) -> None:
    """A spoiled paper ballot abstains and is counted as spoiled; the output says what kind it is."""
    result = tallied(QUESTION, tmp_path)
    assert result["kind"] == "question"
    assert result["abstain"] == result["spoiled"] == {"area": "90.00", "heads": 1}
    assert result["blank"] == {"area": "0.00", "heads": 0}
    unmarked = tallied(changed("ballots.2.mark", ..., QUESTION), tmp_path)
    assert unmarked["spoiled"] == {"area": "0.00", "heads": 0}
    assert {k: v for k, v in unmarked.items() if k not in ("blank", "spoiled")} == {
        k: v for k, v in result.items() if k not in ("blank", "spoiled")}


def test_totals_scenarios_and_the_published_outcome(tmp_path: Path) -> None:
    """Totals decide like units; a published outcome is compared, and a mismatch is reported with exit 0."""
    question = tallied(TOTALS_QUESTION, tmp_path)
    assert (question["outcome"], question["published_outcome_matches"]) == ("failed", True)
    assert question["spoiled"] == {"area": "100.00", "heads": 1}
    wrong = tallied(changed("outcome", "passed", TOTALS_QUESTION), tmp_path)
    assert (wrong["outcome"], wrong["published_outcome_matches"]) == ("failed", False)
    assert "published_outcome_matches" not in tallied(changed("outcome", ..., TOTALS_QUESTION), tmp_path)

    election = tallied(TOTALS_ELECTION, tmp_path)
    assert (election["elected"], election["published_outcome_matches"]) == (["1"], True)
    assert election["candidates"][0]["abstain"] == {"area": "110.00", "heads": 1}
    assert tallied(changed("outcome.elected", ["1", "2"], TOTALS_ELECTION), tmp_path)[
        "published_outcome_matches"] is False
    assert tallied(changed("outcome.elected", [], TOTALS_ELECTION), tmp_path)["published_outcome_matches"] is False


def test_the_rule_hash_of_the_notice_is_checked_against_the_engine(tmp_path: Path) -> None:
    """A download names the fingerprint of the preset frozen at the notice; the output says if it is this one's."""
    from vote.rules.fingerprint import preset_hash

    for document in (QUESTION, ELECTION, TOTALS_QUESTION, TOTALS_ELECTION):
        assert "rule_hash_matches" not in tallied(document, tmp_path)
        rule = document.get("rule", "cn-civil-code-2021")
        assert tallied(changed("rule_hash", preset_hash(rule), document), tmp_path)["rule_hash_matches"] is True
        other = preset_hash("cn-property-law-2007")
        assert tallied(changed("rule_hash", other, document), tmp_path)["rule_hash_matches"] is (other == preset_hash(rule))


def test_the_unit_election_and_its_totals_agree(tmp_path: Path) -> None:
    """The hand-written totals above are the totals of the unit election above."""
    units = tallied(ELECTION, tmp_path)
    totals = tallied(TOTALS_ELECTION, tmp_path)
    assert {**units, "published_outcome_matches": True} == totals


INVALID = [
    # (id, document, field)
    ("kind-unknown", changed("kind", "referendum", ELECTION), "kind"),
    ("kind-number", changed("kind", 3, QUESTION), "kind"),
    ("question-with-seats", changed("seats", 1, QUESTION), "seats"),
    ("election-unknown-key", changed("seat", 1, ELECTION), "seat"),
    ("seats-missing", changed("seats", ..., ELECTION), "seats"),
    ("seats-zero", changed("seats", 0, ELECTION), "seats"),
    ("seats-above-candidates", changed("seats", 4, ELECTION), "seats"),
    ("seats-string", changed("seats", "2", ELECTION), "seats"),
    ("seats-bool", changed("seats", True, ELECTION), "seats"),
    ("candidates-missing", changed("candidates", ..., ELECTION), "candidates"),
    ("candidates-empty", changed("candidates", [], ELECTION), "candidates"),
    ("candidate-not-object", changed("candidates.0", "1", ELECTION), "candidates[0]"),
    ("candidate-id-missing", changed("candidates.0.id", ..., ELECTION), "candidates[0].id"),
    ("candidate-id-number", changed("candidates.0.id", 1, ELECTION), "candidates[0].id"),
    ("candidate-duplicate", changed("candidates.1.id", "1", ELECTION), "candidates[1].id"),
    ("candidate-label-number", changed("candidates.1.label", 2, ELECTION), "candidates[1].label"),
    ("candidate-unknown-key", changed("candidates.1.name", "乙", ELECTION), "candidates[1].name"),
    ("selected-missing", changed("ballots.0.selected", ..., ELECTION), "ballots[0].selected"),
    ("selected-string", changed("ballots.0.selected", "1", ELECTION), "ballots[0].selected"),
    ("selected-number", changed("ballots.0.selected", [1], ELECTION), "ballots[0].selected[0]"),
    ("selected-unknown", changed("ballots.1.selected", ["9"], ELECTION), "ballots[1].selected[0]"),
    ("selected-too-many", changed("ballots.1.selected", ["1", "2", "3"], ELECTION), "ballots[1].selected"),
    ("selected-twice", changed("ballots.1.selected", ["2", "2"], ELECTION), "ballots[1].selected[1]"),
    ("election-choice", changed("ballots.1.choice", "yes", ELECTION), "ballots[1].choice"),
    ("election-two-ballots", changed("ballots.1.unit", "1-101", ELECTION), "ballots[1].unit"),
    ("election-unknown-unit", changed("ballots.1.unit", "1-999", ELECTION), "ballots[1].unit"),
    ("mark-unknown", changed("ballots.3.mark", "torn", ELECTION), "ballots[3].mark"),
    ("mark-with-selection", changed("ballots.0.mark", "spoiled", ELECTION), "ballots[0].selected"),
    ("question-mark-unknown", changed("ballots.2.mark", "BLANK", QUESTION), "ballots[2].mark"),
    ("question-mark-null", changed("ballots.2.mark", None, QUESTION), "ballots[2].mark"),
    ("question-mark-with-yes", changed("ballots.0.mark", "blank", QUESTION), "ballots[0].choice"),
    ("format-unknown", changed("format", "units", TOTALS_QUESTION), "format"),
    ("totals-with-units", changed("units", UNITS, TOTALS_QUESTION), "units"),
    ("totals-kind-unknown", changed("kind", "poll", TOTALS_QUESTION), "kind"),
    ("totals-scope-missing", changed("scope", ..., TOTALS_QUESTION), "scope"),
    ("totals-scope-empty", changed("scope", {"area": "0.00", "heads": 0}, TOTALS_QUESTION), "scope.heads"),
    ("totals-area-number", changed("yes.area", 180, TOTALS_QUESTION), "yes.area"),
    ("totals-area-3-decimals", changed("yes.area", "180.001", TOTALS_QUESTION), "yes.area"),
    ("totals-area-negative", changed("no.area", "-1.00", TOTALS_QUESTION), "no.area"),
    ("totals-heads-negative", changed("no.heads", -1, TOTALS_QUESTION), "no.heads"),
    ("totals-heads-float", changed("no.heads", 1.0, TOTALS_QUESTION), "no.heads"),
    ("totals-heads-string", changed("no.heads", "1", TOTALS_QUESTION), "no.heads"),
    ("totals-amount-key", changed("no.owners", 1, TOTALS_QUESTION), "no.owners"),
    ("totals-amount-missing", changed("no.heads", ..., TOTALS_QUESTION), "no.heads"),
    ("totals-area-without-head", changed("no", {"area": "5.00", "heads": 0}, TOTALS_QUESTION), "no"),
    ("totals-sum-area", changed("yes.area", "181.00", TOTALS_QUESTION), "participated"),
    ("totals-sum-heads", changed("participated.heads", 3, TOTALS_QUESTION), "participated"),
    ("totals-above-scope", changed("scope", {"area": "300.00", "heads": 5}, TOTALS_QUESTION), "participated"),
    ("totals-yes-missing", changed("yes", ..., TOTALS_QUESTION), "yes"),
    ("totals-marks-above-abstain", changed("blank", {"area": "50.00", "heads": 1}, TOTALS_QUESTION), "spoiled"),
    ("totals-outcome-unknown", changed("outcome", "won", TOTALS_QUESTION), "outcome"),
    ("totals-question-candidates", changed("candidates", [], TOTALS_QUESTION), "candidates"),
    ("totals-election-yes-field", changed("yes", {"area": "0.00", "heads": 0}, TOTALS_ELECTION), "yes"),
    ("totals-candidate-yes-missing", changed("candidates.0.yes", ..., TOTALS_ELECTION), "candidates[0].yes"),
    ("totals-candidate-above", changed("candidates.1.yes.heads", 5, TOTALS_ELECTION), "candidates[1].yes"),
    ("totals-candidate-and-blank", changed("candidates.0.yes", {"area": "380.00", "heads": 4}, TOTALS_ELECTION),
     "blank"),
    ("totals-candidate-duplicate", changed("candidates.2.id", "1", TOTALS_ELECTION), "candidates[2].id"),
    ("totals-seats-above", changed("seats", 4, TOTALS_ELECTION), "seats"),
    ("totals-outcome-string", changed("outcome", "passed", TOTALS_ELECTION), "outcome"),
    ("totals-outcome-unknown-id", changed("outcome.elected", ["9"], TOTALS_ELECTION), "outcome.elected[0]"),
    ("totals-outcome-twice", changed("outcome.elected", ["1", "1"], TOTALS_ELECTION), "outcome.elected[1]"),
    ("totals-outcome-not-an-id", changed("outcome.elected", [["1"]], TOTALS_ELECTION), "outcome.elected[0]"),
    ("totals-outcome-key", changed("outcome.seats_filled", 1, TOTALS_ELECTION), "outcome.seats_filled"),
    ("rule-hash-short", changed("rule_hash", "abc", TOTALS_QUESTION), "rule_hash"),
    ("rule-hash-type", changed("rule_hash", 7, ELECTION), "rule_hash"),
]


@pytest.mark.parametrize(("document", "field"), [pytest.param(d, f, id=i) for i, d, f in INVALID])
def test_invalid_forms(document: Any, field: str, tmp_path: Path) -> None:
    """Every error of the election and totals forms: exit 2, one line naming the field, no traceback."""
    assert_invalid(run_document(document, tmp_path), field)


# ------------------------------------------------------------------ totals built from a unit scenario

@st.composite
def unit_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A random unit scenario, question or election, with shared owners, developer units and paper marks."""
    owners = [f"o-{i}" for i in range(6)]
    units = []
    for index in range(draw(st.integers(1, 8))):
        unit: dict[str, Any] = {"id": f"u{index}", "area": draw(st.sampled_from(["50.00", "75.50", "100.00", "120.25"]))}
        if draw(st.integers(0, 5)) == 0:
            unit["developer"] = True
        else:
            unit["owners"] = draw(st.lists(st.sampled_from(owners), min_size=1, max_size=2, unique=True))
        units.append(unit)
    document: dict[str, Any] = {"rule": draw(st.sampled_from(["cn-civil-code-2021", "cn-property-law-2007",
                                                                 "tw-condominium-act", "hk-bmo", "de-weg-2020"])),
                                "matter": draw(st.integers(1, 9)), "units": units, "ballots": []}
    members = group_members(parse_scenario({**document, "ballots": []}).units)  # type: ignore[union-attr]
    election = draw(st.booleans())
    if election:
        count = draw(st.integers(1, 4))
        document.update(kind="election", seats=draw(st.integers(1, count)),
                        candidates=[{"id": str(k), "label": f"候选人{k}"} for k in range(1, count + 1)])
    for member in members:
        if not draw(st.booleans()):
            continue
        ballot: dict[str, Any] = {"unit": draw(st.sampled_from(member.unit_ids))}
        if election:
            ids = [c["id"] for c in document["candidates"]]
            ballot["selected"] = draw(st.lists(st.sampled_from(ids), unique=True, max_size=document["seats"]))
            if not ballot["selected"] and draw(st.booleans()):
                ballot["mark"] = draw(st.sampled_from(["blank", "spoiled"]))
        else:
            ballot["choice"] = draw(st.sampled_from(["yes", "no", "abstain"]))
            if ballot["choice"] == "abstain" and draw(st.booleans()):
                ballot["mark"] = draw(st.sampled_from(["blank", "spoiled"]))
        document["ballots"].append(ballot)
    return document


def totals_of(output: dict[str, Any]) -> dict[str, Any]:
    """The totals scenario carrying the counts and the outcome of a ``vote tally`` output."""
    common = {"format": "totals", "rule": output["rule"], "matter": output["matter"], "kind": output["kind"],
              "scope": output["total"], "participated": output["participated"],
              "blank": output["blank"], "spoiled": output["spoiled"]}
    if output["kind"] == "question":
        return {**common, "yes": output["yes"], "no": output["no"], "abstain": output["abstain"],
                "outcome": output["outcome"]}
    return {**common, "seats": output["seats"], "outcome": {"elected": output["elected"]},
            "candidates": [{"id": c["id"], "label": c["label"], "yes": c["yes"]} for c in output["candidates"]]}


@settings(max_examples=300, deadline=None)
@given(unit_scenarios())
def test_totals_from_a_unit_scenario_decide_the_same(document: dict[str, Any]) -> None:
    """Feeding a unit scenario's totals back as a totals scenario gives the same output, and it matches."""
    output = evaluate(parse_scenario(document))
    again = evaluate(parse_scenario(json.loads(json.dumps(totals_of(output)))))
    assert again == {**output, "published_outcome_matches": True}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([ELECTION, TOTALS_QUESTION, TOTALS_ELECTION]),
       st.lists(st.tuples(st.sampled_from([
           "seats", "kind", "format", "candidates.0", "candidates.1.id", "candidates.0.yes", "candidates.0.yes.area",
           "ballots.0.selected", "ballots.0.selected.0", "ballots.3.mark", "scope", "scope.heads", "participated.area",
           "yes", "yes.heads", "blank", "outcome", "outcome.elected",
       ]), st.none() | st.booleans() | st.integers(-2, 6) | st.sampled_from(
           ["", "1", "9", "0.00", "1.005", "400.00", "blank", "totals", "election", "question"])
           | st.lists(st.sampled_from(["1", "2", "3"]), max_size=4)), min_size=1, max_size=3))
def test_mutated_forms_never_crash(document: dict[str, Any], mutations: list[tuple[str, Any]]) -> None:
    """Either a decision (exit 0, JSON) or one clear error line (exit 2)."""
    for path, value in mutations:
        try:
            document = changed(path, value, document)
        except (KeyError, IndexError, TypeError):
            continue
    with tempfile.TemporaryDirectory() as directory:
        code, out, err = run_document(document, Path(directory))
    if code == 0:
        assert err == "" and json.loads(out)["outcome"] in ("passed", "failed", "no-quorum", "decided")
    else:
        assert code == 2 and out == "" and err.count("\n") == 1 and ": " in err
