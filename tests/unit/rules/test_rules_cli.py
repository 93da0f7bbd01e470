"""``vote tally FILE`` (vote.rules.tally_cli): the output contract and every class of invalid input.

Invalid input must give exit code 2, exactly one stderr line starting with the offending field,
nothing on stdout and no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.tally import assert_invalid, run_document, run_main
from tests.support.tally import changed as changed_in

SRC = Path(__file__).resolve().parents[3] / "src"

VALID: dict[str, Any] = {
    "rule": "cn-civil-code-2021",
    "matter": 6,
    "units": [
        {"id": "3-1-502", "area": "89.50", "owners": ["o-17"]},
        {"id": "3-1-601", "area": "120.00", "owners": ["o-21", "o-22"]},
        {"id": "P-0042", "area": "12.50", "owners": ["o-17"]},
        {"id": "9-1-101", "area": "95.00", "developer": True},
        {"id": "9-1-102", "area": "95.00", "developer": True},
    ],
    "ballots": [{"unit": "3-1-502", "choice": "yes"}, {"unit": "3-1-601", "choice": "abstain"}],
}


def changed(path: str, value: Any, document: Any = VALID) -> Any:
    """A copy of ``document`` (by default the valid scenario above) with one value replaced or deleted."""
    return changed_in(path, value, document)


def test_valid_scenario(tmp_path: Path) -> None:
    """JSON on stdout with the docs/tally-format.md keys; areas with two decimals, heads integers."""
    code, out, err = run_document(VALID, tmp_path)
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert list(result)[:3] == ["rule", "matter", "outcome"]
    assert result["outcome"] == "no-quorum"  # 222.00 of 412.00 m² took part
    assert result["total"] == {"area": "412.00", "heads": 3}
    assert result["participated"] == {"area": "222.00", "heads": 2}
    assert result["no"] == {"area": "0.00", "heads": 0}
    assert len(result["checks"]) == 4
    assert result["checks"][0]["value"] == ["222.00", "412.00"]
    assert result["checks"][1]["value"] == [2, 3]
    assert {"met", "required", "comparison", "dimension", "kind", "text"} <= set(result["checks"][0])


def test_rule_defaults_to_the_civil_code(tmp_path: Path) -> None:
    """An absent rule is cn-civil-code-2021."""
    code, out, _ = run_document(changed("rule", ...), tmp_path)
    assert code == 0 and json.loads(out)["rule"] == "cn-civil-code-2021"


def test_developer_owners_are_ignored(tmp_path: Path) -> None:
    """docs/tally-format.md: owners are ignored when developer is true, whatever they hold."""
    code, out, _ = run_document(changed("units.3.owners", [1, None]), tmp_path)
    assert code == 0 and json.loads(out)["total"]["heads"] == 3


INVALID = [
    # (id, document or raw bytes, field)
    ("not-json", b"{\"rule\": ", "FILE"),
    ("trailing-garbage", b"{} {}", "FILE"),
    ("not-utf8", b"\xff\xfe{}", "FILE"),
    ("nan", json.dumps(VALID).replace('"matter": 6', '"matter": NaN').encode(), "FILE"),
    ("duplicate-key", json.dumps(VALID).replace('"matter": 6', '"matter": 6, "matter": 1').encode(), "FILE"),
    ("deep-nesting", b"[" * 100_000 + b"]" * 100_000, "FILE"),
    ("huge-integer", json.dumps(VALID).replace('"matter": 6', '"matter": 1' + "0" * 5000).encode(), "FILE"),
    ("top-level-array", [VALID], "scenario"),
    ("unknown-top-key", changed("ballot", []), "ballot"),
    ("unknown-rule", changed("rule", "cn-civil-code-2020"), "rule"),
    ("rule-null", changed("rule", None), "rule"),
    ("rule-number", changed("rule", 2021), "rule"),
    ("matter-missing", changed("matter", ...), "matter"),
    ("matter-0", changed("matter", 0), "matter"),
    ("matter-10", changed("matter", 10), "matter"),
    ("matter-bool", changed("matter", True), "matter"),
    ("matter-float", changed("matter", 6.0), "matter"),
    ("matter-string", changed("matter", "6"), "matter"),
    ("units-missing", changed("units", ...), "units"),
    ("units-empty", changed("units", []), "units"),
    ("units-object", changed("units", {}), "units"),
    ("unit-not-object", changed("units.1", "3-1-601"), "units[1]"),
    ("unit-unknown-key", changed("units.3.develper", True), "units[3].develper"),
    ("unit-odd-key", changed("units.3.a b\n", True), 'units[3]["a b\\n"]'),
    ("unit-id-missing", changed("units.0.id", ...), "units[0].id"),
    ("unit-id-empty", changed("units.0.id", ""), "units[0].id"),
    ("unit-id-number", changed("units.0.id", 502), "units[0].id"),
    ("duplicate-unit-id", changed("units.2.id", "3-1-502"), "units[2].id"),
    ("area-missing", changed("units.3.area", ...), "units[3].area"),
    ("area-zero", changed("units.3.area", "0.00"), "units[3].area"),
    ("area-negative", changed("units.3.area", "-1.00"), "units[3].area"),
    ("area-3-decimals", changed("units.3.area", "1.005"), "units[3].area"),
    ("area-number", changed("units.3.area", 95.0), "units[3].area"),
    ("area-exponent", changed("units.3.area", "1e2"), "units[3].area"),
    ("area-fullwidth", changed("units.3.area", "９５.００"), "units[3].area"),
    ("area-spaces", changed("units.3.area", " 95.00"), "units[3].area"),
    ("area-huge", changed("units.3.area", "9" * 5000), "units[3].area"),
    ("owners-missing", changed("units.1.owners", ...), "units[1].owners"),
    ("owners-empty", changed("units.1.owners", []), "units[1].owners"),
    ("owners-string", changed("units.1.owners", "o-21"), "units[1].owners"),
    ("owner-number", changed("units.1.owners", ["o-21", 22]), "units[1].owners[1]"),
    ("owner-empty", changed("units.1.owners", [""]), "units[1].owners[0]"),
    ("owner-control", changed("units.1.owners", ["o\n21"]), "units[1].owners"),
    ("developer-not-bool", changed("units.3.developer", "yes"), "units[3].developer"),
    ("developer-false-no-owners", changed("units.3.developer", False), "units[3].owners"),
    ("ballots-missing", changed("ballots", ...), "ballots"),
    ("ballots-object", changed("ballots", {}), "ballots"),
    ("ballot-not-object", changed("ballots.0", ["3-1-502", "yes"]), "ballots[0]"),
    ("ballot-unknown-key", changed("ballots.0.member", "x"), "ballots[0].member"),
    ("ballot-unit-missing", changed("ballots.0.unit", ...), "ballots[0].unit"),
    ("ballot-unit-number", changed("ballots.0.unit", 502), "ballots[0].unit"),
    ("ballot-unknown-unit", changed("ballots.1.unit", "3-1-999"), "ballots[1].unit"),
    ("choice-missing", changed("ballots.1.choice", ...), "ballots[1].choice"),
    ("choice-invalid", changed("ballots.1.choice", "approve"), "ballots[1].choice"),
    ("choice-case", changed("ballots.1.choice", "YES"), "ballots[1].choice"),
    ("choice-null", changed("ballots.1.choice", None), "ballots[1].choice"),
    ("two-ballots-same-owner", changed("ballots.1.unit", "P-0042"), "ballots[1].unit"),
    ("two-ballots-same-unit", changed("ballots.1.unit", "3-1-502"), "ballots[1].unit"),
    ("two-ballots-developer", changed("ballots", [{"unit": "9-1-101", "choice": "no"},
                                                  {"unit": "9-1-102", "choice": "yes"}]), "ballots[1].unit"),
]


@pytest.mark.parametrize(("document", "field"), [pytest.param(d, f, id=i) for i, d, f in INVALID])
def test_invalid_input(document: Any, field: str, tmp_path: Path) -> None:
    """Every class of invalid input in docs/tally-format.md: exit 2, one line naming the field."""
    path = tmp_path / "scenario.json"
    assert_invalid(run_document(document, tmp_path), str(path) if field == "FILE" else field)


def test_co_owners_listed_in_another_order_are_one_member(tmp_path: Path) -> None:
    """A second unit of {o-22, o-21} belongs to the member of 3-1-601: two ballots are an error."""
    document = changed("units", [*VALID["units"], {"id": "G-7", "area": "10", "owners": ["o-22", "o-21", "o-22"]}])
    document["ballots"].append({"unit": "G-7", "choice": "no"})
    assert_invalid(run_document(document, tmp_path), "ballots[2].unit")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    """An unreadable path is named as the field."""
    missing = str(tmp_path / "nope.json")
    assert_invalid(run_main([missing]), missing)
    assert_invalid(run_main([str(tmp_path)]), str(tmp_path))


@pytest.mark.parametrize("argv", [[], ["a.json", "b.json"]])
def test_wrong_arguments(argv: list[str]) -> None:
    """Usage on one stderr line, exit 2."""
    code, out, err = run_main(argv)
    assert (code, out) == (2, "") and err.startswith("usage:") and err.count("\n") == 1


def _subprocess(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m vote.rules.tally_cli`` in a fresh interpreter with an ASCII-only locale."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
           "PYTHONIOENCODING": "ascii", "LC_ALL": "C"}
    return subprocess.run([sys.executable, "-m", "vote.rules.tally_cli", *args], input=stdin, env=env,
                          capture_output=True, timeout=60, check=False)


def test_subprocess_success_and_error(tmp_path: Path) -> None:
    """The real command: UTF-8 JSON on stdout even under an ASCII locale; errors without traceback."""
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(VALID), "utf-8")
    ok = _subprocess([str(path)])
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.decode("utf-8"))["checks"][0]["text"]["zh_CN"].startswith("参与表决")

    bad = _subprocess(["-"], stdin=json.dumps(changed("units.2.area", "12.505")).encode())
    assert (bad.returncode, bad.stdout) == (2, b"")
    assert bad.stderr.decode().startswith("units[2].area: ") and bad.stderr.count(b"\n") == 1
    assert b"Traceback" not in bad.stderr


# Random mutations of a valid document: the command must answer 0 or 2, never crash.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "yes", "no", "abstain", "3-1-502", "0.00", "1.005", "95", "o-17", "developer"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["id", "area", "owners", "developer", "unit", "choice", "x"]), children, max_size=3),
    max_leaves=8,
)
paths = st.sampled_from([
    "rule", "matter", "units", "ballots", "units.0", "units.1.id", "units.1.area", "units.1.owners",
    "units.1.owners.0", "units.3.developer", "units.4.area", "ballots.0", "ballots.1.unit", "ballots.1.choice",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(paths, json_values), min_size=1, max_size=3))
def test_mutated_documents_never_crash(mutations: list[tuple[str, Any]]) -> None:
    """Either a decision (exit 0, JSON) or one clear error line (exit 2)."""
    document = json.loads(json.dumps(VALID))
    for path, value in mutations:
        try:
            document = changed(path, value, document)
        except (KeyError, IndexError, TypeError):
            continue
    with tempfile.TemporaryDirectory() as directory:
        code, out, err = run_document(document, Path(directory))
    if code == 0:
        assert err == "" and json.loads(out)["outcome"] in ("passed", "failed", "no-quorum")
    else:
        assert code == 2 and out == "" and err.count("\n") == 1 and ": " in err

