"""Every scenario in docs/examples reproduces, through the API and through ``vote tally``.

The examples are the project's own test data, inside the repository: a question, an election and
totals scenarios, each with its expected output (``*.expected.json``: every key it lists must be in
the output with that value; ``checks`` are left out of the files, the other tests cover them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vote.rules import evaluate, load_scenario
from vote.rules.tally_cli import main

REPO_ROOT = Path(__file__).resolve().parents[3]
EXAMPLES_DIR = REPO_ROOT / "docs" / "examples"
EXAMPLES = sorted(p for p in EXAMPLES_DIR.glob("*.json") if not p.name.endswith(".expected.json"))
QUESTION_KEYS = ("rule", "matter", "outcome", "total", "participated", "yes", "no", "abstain")
ELECTION_KEYS = ("rule", "matter", "kind", "seats", "seats_filled", "by_election_needed", "outcome", "total",
                 "participated", "candidates", "elected")


def assert_listed(expected: Any, printed: Any, where: str = "output") -> None:
    """Every key of ``expected`` is in ``printed`` with the same value (recursively; lists item by item)."""
    if isinstance(expected, dict):
        assert isinstance(printed, dict), where
        for key, value in expected.items():
            assert key in printed, f"{where}.{key} missing"
            assert_listed(value, printed[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(printed, list) and len(printed) == len(expected), where
        for index, (want, got) in enumerate(zip(expected, printed, strict=True)):
            assert_listed(want, got, f"{where}[{index}]")
    else:
        assert printed == expected, f"{where}: {printed!r} != {expected!r}"


def test_examples_are_present() -> None:
    """The examples are in the repository, with an election and both totals forms among them."""
    assert len(EXAMPLES) >= 8
    kinds = set()
    for path in EXAMPLES:
        assert path.with_name(path.stem + ".expected.json").is_file(), f"{path.name} has no expected output"
        document = json.loads(path.read_text("utf-8"))
        kinds.add((document.get("format", "units"), document.get("kind", "question")))
    assert kinds == {("units", "question"), ("units", "election"), ("totals", "question"), ("totals", "election")}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_reproduces(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``vote tally`` prints the expected output, and the API agrees with it."""
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    # An expected file states at least the outcome and the totals, so it cannot pass by being empty.
    assert set(ELECTION_KEYS if expected.get("kind") == "election" else QUESTION_KEYS) <= set(expected)

    assert main([str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    printed = json.loads(captured.out)
    assert_listed(expected, printed)
    assert evaluate(load_scenario(path.read_bytes(), source=path.name)) == printed


def test_no_example_reads_outside_the_repository() -> None:
    """The examples folder is the repository's own, not a link to a folder beside it."""
    assert EXAMPLES_DIR.resolve().is_relative_to(REPO_ROOT.resolve())
    assert all(path.resolve().is_relative_to(REPO_ROOT.resolve()) for path in EXAMPLES)
