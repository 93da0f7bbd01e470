"""Every scenario in shared/domain/examples reproduces, through the API and through ``vote tally``.

The examples live in the project's shared folder next to the repository (``/work/shared`` beside
``/work/main``; CI clones main with shared/ beside it). A missing folder is a failure, not a skip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vote.rules import decision_to_dict, load_scenario, tally
from vote.rules.tally_cli import main

REPO_ROOT = Path(__file__).resolve().parents[3]
COMPARED = ("outcome", "total", "participated", "yes", "no", "abstain")


def find_examples_dir() -> Path | None:
    """``shared/domain/examples`` in the repository's parent folder (or further up), if present."""
    for folder in (REPO_ROOT.parent, *REPO_ROOT.parent.parents):
        candidate = folder / "shared" / "domain" / "examples"
        if candidate.is_dir():
            return candidate
    return None


EXAMPLES_DIR = find_examples_dir()
EXAMPLES = sorted(
    p for p in (EXAMPLES_DIR.glob("*.json") if EXAMPLES_DIR else []) if not p.name.endswith(".expected.json")
)


def test_examples_are_present() -> None:
    """The shared examples must be found; otherwise nothing below proves anything."""
    assert EXAMPLES_DIR is not None, f"shared/domain/examples not found next to {REPO_ROOT}"
    assert len(EXAMPLES) >= 5
    for path in EXAMPLES:
        assert path.with_name(path.stem + ".expected.json").is_file(), f"{path.name} has no expected output"


@pytest.mark.parametrize("path", EXAMPLES or [None], ids=lambda p: p.stem if p else "missing")
def test_example_reproduces(path: Path | None, capsys: pytest.CaptureFixture[str]) -> None:
    """``vote tally`` prints the expected outcome and totals, and the API agrees with it."""
    if path is None:
        pytest.fail(f"no examples found next to {REPO_ROOT}")
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))

    assert main([str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    printed = json.loads(captured.out)
    assert {k: printed[k] for k in COMPARED} == {k: expected[k] for k in COMPARED}
    assert (printed["rule"], printed["matter"]) == (expected["rule"], expected["matter"])

    scenario = load_scenario(path.read_bytes(), source=path.name)
    decision = tally(scenario.rule, scenario.matter, scenario.units, scenario.ballots)
    assert decision_to_dict(decision) == printed
