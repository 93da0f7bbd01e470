"""``vote verify`` on downloads built here: a meeting with a question and an election, its ledger and its
signed checkpoints. Everything valid passes; each way of cheating is caught (exit 1, in words);
malformed input gives exit 2 and one line, never a traceback."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vote.ledger.checkpoint import Checkpoint, checkpoint_to_dict, public_key_bytes, sign
from vote.ledger.leaf import Leaf, leaf_bytes, leaf_to_dict
from vote.ledger.merkle import inclusion_proof, leaf_hash, root
from vote.ledger.verify_cli import main
from vote.rules import evaluate, parse_scenario

SRC = Path(__file__).resolve().parents[3] / "src"
MEETING, QUESTION, ELECTION = 12, 34, 35
ORIGIN = f"vote/garden/{MEETING}"
KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
OPENED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

UNITS = [
    {"id": "1-101", "area": "90.00", "owners": ["o-1"]},
    {"id": "1-102", "area": "100.00", "owners": ["o-2"]},
    {"id": "1-201", "area": "110.00", "owners": ["o-3"]},
    {"id": "1-202", "area": "120.00", "owners": ["o-4"]},
    {"id": "2-101", "area": "95.00", "developer": True},
    {"id": "2-102", "area": "80.00", "owners": ["o-5"]},
]
CANDIDATES = [{"id": "1", "label": "赵敏"}, {"id": "2", "label": "钱立"}, {"id": "3", "label": "孙强"}]
# (unit, motion, choice, selected, mark) in casting order; member keys are per unit here
CAST = [
    ("1-101", QUESTION, "yes", (), None),
    ("1-101", ELECTION, "election", (1, 2), None),
    ("1-102", QUESTION, "yes", (), None),
    ("2-101", QUESTION, "no", (), None),
    ("1-102", ELECTION, "election", (1,), None),
    ("1-201", QUESTION, "abstain", (), "blank"),
    ("1-201", ELECTION, "election", (), "spoiled"),
    ("2-101", ELECTION, "election", (2, 3), None),
    ("1-202", QUESTION, "yes", (), None),
    ("1-202", ELECTION, "election", (1, 3), None),
]
CHECKPOINT_SIZES = [0, 3, 6, 10]  # voting opens, hourly, hourly, the close


def _member(unit: str) -> str:
    return hashlib.sha256(f"member:{unit}".encode()).hexdigest()[:32]


def _nonce(position: int) -> str:
    return hashlib.sha256(f"nonce:{position}".encode()).hexdigest()[:32]


def _scenario_ballot(leaf: Leaf, unit: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"unit": unit}
    if leaf.choice == "election":
        entry["selected"] = [str(p) for p in leaf.selected]
    else:
        entry["choice"] = leaf.choice
    if leaf.mark:
        entry["mark"] = leaf.mark
    return entry


def _result(motion: int, openings: list[dict[str, Any]]) -> dict[str, Any]:
    """The owners' download result-<motion>.json: the unit scenario, ballots sorted by unit."""
    ballots = sorted((_scenario_ballot(Leaf(o["meeting"], o["motion"], o["member"], o["choice"], tuple(o["selected"]),
                                            o["mark"], o["nonce"]), o["unit"])
                      for o in openings if o["motion"] == motion), key=lambda b: b["unit"])
    if motion == ELECTION:
        return {"rule": "cn-civil-code-2021", "matter": 3, "kind": "election", "seats": 2,
                "candidates": copy.deepcopy(CANDIDATES), "units": copy.deepcopy(UNITS), "ballots": ballots}
    return {"rule": "cn-civil-code-2021", "matter": 4, "units": copy.deepcopy(UNITS), "ballots": ballots}


def _totals(result: dict[str, Any]) -> dict[str, Any]:
    """The public download totals-<motion>.json, summed from a unit scenario as the site does."""
    out = evaluate(parse_scenario(result))
    document: dict[str, Any] = {"format": "totals", "rule": out["rule"], "matter": out["matter"], "kind": out["kind"]}
    if out["kind"] == "election":
        return document | {"seats": out["seats"], "scope": out["total"], "participated": out["participated"],
                           "blank": out["blank"], "spoiled": out["spoiled"],
                           "candidates": [{"id": c["id"], "label": c["label"], "yes": c["yes"]} for c in out["candidates"]],
                           "outcome": {"elected": out["elected"]}}
    return document | {"scope": out["total"], **{k: out[k] for k in ("participated", "yes", "no", "abstain")},
                       "blank": out["blank"], "spoiled": out["spoiled"], "outcome": out["outcome"]}


def _signed(size: int, tree_root: bytes, at: datetime, key: Ed25519PrivateKey = KEY,
            origin: str = ORIGIN) -> dict[str, Any]:
    checkpoint = Checkpoint(origin=origin, size=size, root=tree_root, timestamp=at)
    return checkpoint_to_dict(checkpoint, sign(key, checkpoint), public_key_bytes(key))


@dataclass
class Downloads:
    """What the site serves for the meeting, as JSON documents; ``write`` puts them in files."""

    checkpoints: dict[str, Any]
    leaves: dict[str, Any]
    openings: dict[str, Any]
    receipt: dict[str, Any]
    results: dict[int, dict[str, Any]]
    totals: dict[int, dict[str, Any]]
    directory: Path
    extra: list[str] = field(default_factory=list)

    def hashes(self) -> list[bytes]:
        return [bytes.fromhex(h) for h in self.leaves["leaves"]]

    def resign_final(self, key: Ed25519PrivateKey = KEY) -> None:
        """The server signs a new final checkpoint over the leaves it now serves (what a cheat would do)."""
        hashes = self.hashes()
        last = self.checkpoints["checkpoints"][-1]
        at = datetime.strptime(last["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        self.checkpoints["checkpoints"][-1] = _signed(len(hashes), root(hashes), at, key)

    def write(self) -> dict[str, str]:
        paths = {}
        for name, document in (("checkpoints", self.checkpoints), ("leaves", self.leaves),
                               ("openings", self.openings), ("receipt", self.receipt)):
            path = self.directory / f"{name}.json"
            path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
            paths[name] = str(path)
        for motion in self.results:
            (self.directory / f"result-{motion}.json").write_text(json.dumps(self.results[motion], ensure_ascii=False),
                                                                  encoding="utf-8")
        for motion in self.totals:
            (self.directory / f"totals-{motion}.json").write_text(json.dumps(self.totals[motion], ensure_ascii=False),
                                                                  encoding="utf-8")
        return paths

    def argv(self, *, leaves: bool = True, receipt: bool = True, openings: bool = True) -> list[str]:
        paths = self.write()
        argv = ["--checkpoints", paths["checkpoints"]]
        if leaves:
            argv += ["--leaves", paths["leaves"]]
        if receipt:
            argv += ["--receipt", paths["receipt"]]
        if openings:
            argv += ["--openings", paths["openings"],
                     "--ballots", *(str(self.directory / f"result-{m}.json") for m in sorted(self.results)),
                     "--totals", *(str(self.directory / f"totals-{m}.json") for m in sorted(self.totals))]
        return argv + self.extra


def build(directory: Path) -> Downloads:
    leaves = [Leaf(MEETING, motion, _member(unit), choice, selected, mark, _nonce(i))
              for i, (unit, motion, choice, selected, mark) in enumerate(CAST)]
    hashes = [leaf_hash(leaf_bytes(leaf)) for leaf in leaves]
    openings = [{"index": i, "unit": CAST[i][0], **leaf_to_dict(leaf)} for i, leaf in enumerate(leaves)]
    checkpoints = [_signed(size, root(hashes[:size]), OPENED + timedelta(hours=n))
                   for n, size in enumerate(CHECKPOINT_SIZES)]
    results = {motion: _result(motion, openings) for motion in (QUESTION, ELECTION)}
    return Downloads(
        checkpoints={"meeting": MEETING, "origin": ORIGIN, "public_key": public_key_bytes(KEY).hex(),
                     "checkpoints": checkpoints},
        leaves={"meeting": MEETING, "origin": ORIGIN, "leaves": [h.hex() for h in hashes]},
        openings={"meeting": MEETING, "leaves": openings},
        receipt={**leaf_to_dict(leaves[4]), "index": 4},
        results=results,
        totals={motion: _totals(result) for motion, result in results.items()},
        directory=directory,
    )


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_fails(downloads: Downloads, *phrases: str, **options: bool) -> str:
    code, out, err = run(downloads.argv(**options))
    assert code == 1, (out, err)
    assert err == "" and out.startswith("FAILED: ") and out.count("\n") == 1, out
    for phrase in phrases:
        assert phrase in out, out
    return out


def assert_malformed(argv: list[str], *phrases: str) -> str:
    code, out, err = run(argv)
    assert code == 2, (out, err)
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    for phrase in phrases:
        assert phrase in err, err
    return err


@pytest.fixture
def downloads(tmp_path: Path) -> Downloads:
    return build(tmp_path)


# ---- everything valid ----

def test_everything_valid_passes(downloads: Downloads) -> None:
    code, out, err = run(downloads.argv())
    assert (code, err) == (0, "")
    assert out.count("\n") == 1 and out.startswith("OK: meeting 12: 4 checkpoints signed by key")
    assert "the log only grew, to 10 ballots" in out
    assert "the receipt's ballot is in the log at position 4" in out
    assert "recounted motions 34, 35" in out


def test_checkpoints_alone_and_with_the_expected_key(downloads: Downloads) -> None:
    downloads.extra = ["--key", public_key_bytes(KEY).hex()]
    code, out, _ = run(downloads.argv(leaves=False, receipt=False, openings=False))
    assert code == 0 and "4 checkpoints" in out


def test_receipt_with_its_proof_needs_no_leaves(downloads: Downloads) -> None:
    hashes = downloads.hashes()
    downloads.receipt = {"leaf": {k: v for k, v in downloads.receipt.items() if k != "index"}, "index": 4,
                         "proof": [p.hex() for p in inclusion_proof(4, hashes)],
                         "checkpoint": downloads.checkpoints["checkpoints"][-1]}
    code, out, _ = run(downloads.argv(leaves=False, openings=False))
    assert code == 0 and "position 4" in out


def test_receipt_without_index_is_found(downloads: Downloads) -> None:
    del downloads.receipt["index"]
    code, out, _ = run(downloads.argv(openings=False))
    assert code == 0 and "position 4" in out


def test_a_ballot_outside_the_scope_is_opened_but_not_counted(downloads: Downloads) -> None:
    """A ballot of a member outside the voting scope is in the log but the close did not count it."""
    downloads.openings["leaves"][3]["unit"] = None  # 2-101's "no": not counted
    result = downloads.results[QUESTION]
    result["ballots"] = [b for b in result["ballots"] if b["unit"] != "2-101"]
    downloads.totals[QUESTION] = _totals(result)
    code, out, _ = run(downloads.argv())
    assert code == 0 and "1 ballot outside the voting scope not counted" in out


def test_runs_as_a_vote_subcommand_without_traceback(downloads: Downloads) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-m", "vote", "verify", *downloads.argv()], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 0 and done.stdout.startswith("OK: "), done.stderr
    downloads.leaves["leaves"].pop()
    done = subprocess.run([sys.executable, "-m", "vote", "verify", *downloads.argv()], capture_output=True, text=True,
                          env=env, check=False)
    assert done.returncode == 1 and done.stdout.startswith("FAILED: ") and "Traceback" not in done.stderr


# ---- cheating after a checkpoint ----

def test_deleted_ballot_is_detected(downloads: Downloads) -> None:
    del downloads.leaves["leaves"][4]
    assert_fails(downloads, "9 ballots", "10", "removed")


def test_deleted_ballot_with_a_new_final_checkpoint_is_detected(downloads: Downloads) -> None:
    del downloads.leaves["leaves"][4]
    downloads.resign_final()
    assert_fails(downloads, "checkpoints[2] (6 ballots", "does not match the first 6 ballots")


def test_ballot_added_after_the_final_checkpoint_is_detected(downloads: Downloads) -> None:
    downloads.leaves["leaves"].append(leaf_hash(b"stuffed").hex())
    assert_fails(downloads, "11 ballots", "added after it was signed")


def test_ballot_inserted_before_a_checkpoint_is_detected(downloads: Downloads) -> None:
    downloads.leaves["leaves"].insert(1, leaf_hash(b"stuffed").hex())
    downloads.resign_final()
    assert_fails(downloads, "checkpoints[1] (3 ballots", "does not match the first 3 ballots")


def test_reordered_ballots_are_detected(downloads: Downloads) -> None:
    hashes = downloads.leaves["leaves"]
    hashes[0], hashes[1] = hashes[1], hashes[0]
    downloads.resign_final()
    assert_fails(downloads, "checkpoints[1] (3 ballots", "reordered")


def test_flipped_ballot_is_detected(downloads: Downloads) -> None:
    """The server changes 1-102's yes into no in the log and signs a new final checkpoint."""
    opening = downloads.openings["leaves"][2]
    opening["choice"] = "no"
    flipped = Leaf(MEETING, QUESTION, opening["member"], "no", (), None, opening["nonce"])
    downloads.leaves["leaves"][2] = leaf_hash(leaf_bytes(flipped)).hex()
    downloads.resign_final()
    assert_fails(downloads, "checkpoints[1] (3 ballots", "does not match")


def test_flipped_opening_is_detected(downloads: Downloads) -> None:
    downloads.openings["leaves"][2]["choice"] = "no"
    assert_fails(downloads, "openings.json", "leaves[2]", "differs from what was committed")


def test_checkpoint_forged_with_another_key_is_detected(downloads: Downloads) -> None:
    forged = _signed(10, root(downloads.hashes()), OPENED + timedelta(hours=5), OTHER_KEY)
    forged["key_id"] = downloads.checkpoints["checkpoints"][0]["key_id"]
    downloads.checkpoints["checkpoints"].append(forged)
    assert_fails(downloads, "checkpoints[4]", "signature does not verify", "forged")


def test_checkpoint_naming_another_key_is_detected(downloads: Downloads) -> None:
    downloads.resign_final(OTHER_KEY)
    assert_fails(downloads, "checkpoints[3]", "not signed by this deployment")


def test_a_whole_file_signed_with_another_key_fails_the_expected_key(downloads: Downloads) -> None:
    hashes = downloads.hashes()
    downloads.checkpoints["public_key"] = public_key_bytes(OTHER_KEY).hex()
    downloads.checkpoints["checkpoints"] = [_signed(size, root(hashes[:size]), OPENED + timedelta(hours=n), OTHER_KEY)
                                            for n, size in enumerate(CHECKPOINT_SIZES)]
    assert run(downloads.argv())[0] == 0  # self-consistent: only the key you trust tells it apart
    downloads.extra = ["--key", public_key_bytes(KEY).hex()]
    assert_fails(downloads, "not with the expected key")


def test_checkpoint_root_not_matching_the_leaves_is_detected(downloads: Downloads) -> None:
    downloads.checkpoints["checkpoints"][2] = _signed(6, leaf_hash(b"something else"), OPENED + timedelta(hours=2))
    assert_fails(downloads, "checkpoints[2]", "does not match the first 6 ballots")


def test_rewritten_log_between_checkpoints_is_detected_without_leaves(downloads: Downloads) -> None:
    downloads.checkpoints["checkpoints"].append(_signed(10, leaf_hash(b"rewritten"), OPENED + timedelta(hours=6)))
    assert_fails(downloads, "same size but different roots", leaves=False, receipt=False, openings=False)


def test_shrinking_log_is_detected_without_leaves(downloads: Downloads) -> None:
    downloads.checkpoints["checkpoints"].append(_signed(9, root(downloads.hashes()[:9]), OPENED + timedelta(hours=6)))
    assert_fails(downloads, "the log shrank", leaves=False, receipt=False, openings=False)


def test_checkpoints_out_of_order_are_refused(downloads: Downloads) -> None:
    listed = downloads.checkpoints["checkpoints"]
    listed[1], listed[2] = listed[2], listed[1]
    assert_fails(downloads, "oldest first")


def test_checkpoint_of_another_log_is_detected(downloads: Downloads) -> None:
    downloads.checkpoints["checkpoints"][1] = _signed(3, root(downloads.hashes()[:3]), OPENED + timedelta(hours=1),
                                                      origin="vote/garden/13")
    assert_fails(downloads, "log vote/garden/13")


def test_receipt_from_another_meeting_is_detected(downloads: Downloads) -> None:
    downloads.receipt["meeting"] = 13
    assert_fails(downloads, "receipt is for meeting 13", "meeting 12")


def test_receipt_not_in_the_log_is_detected(downloads: Downloads) -> None:
    downloads.receipt["choice"] = "no"
    downloads.receipt["selected"] = []
    downloads.receipt["motion"] = QUESTION
    assert_fails(downloads, "NOT in the log", openings=False)


def test_receipt_with_a_wrong_position_is_detected(downloads: Downloads) -> None:
    downloads.receipt["index"] = 5
    assert_fails(downloads, "position 5", "at position 4", openings=False)


def test_receipt_proof_that_does_not_lead_to_the_root_is_detected(downloads: Downloads) -> None:
    proof = inclusion_proof(4, downloads.hashes())
    downloads.receipt["proof"] = [p.hex() for p in reversed(proof)]
    assert_fails(downloads, "inclusion proof", "not proven", leaves=False, openings=False)


def test_openings_that_do_not_yield_the_published_totals_are_detected(downloads: Downloads) -> None:
    """The published totals count 1-102's yes as a no: the ballots in the log do not give them."""
    result = copy.deepcopy(downloads.results[QUESTION])
    next(b for b in result["ballots"] if b["unit"] == "1-102")["choice"] = "no"
    downloads.totals[QUESTION] = _totals(result)
    assert_fails(downloads, "motion 34", "the ledger's ballots give yes", "totals-34.json publishes")


def test_published_outcome_that_the_ballots_do_not_give_is_detected(downloads: Downloads) -> None:
    counted = downloads.totals[QUESTION]["outcome"]
    downloads.totals[QUESTION]["outcome"] = "failed" if counted == "passed" else "passed"
    assert_fails(downloads, "motion 34", f"outcome {counted}")


def test_election_totals_that_the_ballots_do_not_give_are_detected(downloads: Downloads) -> None:
    result = copy.deepcopy(downloads.results[ELECTION])
    next(b for b in result["ballots"] if b["unit"] == "1-102")["selected"] = ["3"]
    downloads.totals[ELECTION] = _totals(result)
    assert_fails(downloads, "motion 35", "candidate")


def test_election_published_with_another_winner_is_detected(downloads: Downloads) -> None:
    downloads.totals[ELECTION]["outcome"] = {"elected": ["3"]}
    assert_fails(downloads, "motion 35", "elect")


def test_result_json_that_differs_from_the_ledger_is_detected(downloads: Downloads) -> None:
    next(b for b in downloads.results[QUESTION]["ballots"] if b["unit"] == "2-101")["choice"] = "abstain"
    assert_fails(downloads, "result-34.json lists for unit 2-101 abstain", "the ledger no")


def test_openings_that_leave_out_a_ballot_are_detected(downloads: Downloads) -> None:
    downloads.openings["leaves"].pop()
    assert_fails(downloads, "opens 9 ballots", "10")


def test_openings_of_another_meeting_are_detected(downloads: Downloads) -> None:
    downloads.openings["meeting"] = 13
    assert_fails(downloads, "openings.json is for meeting 13")


def test_leaves_of_another_meeting_are_detected(downloads: Downloads) -> None:
    downloads.leaves["meeting"] = 13
    assert_fails(downloads, "leaves.json is for meeting 13")


def test_an_opening_counted_for_two_units_of_one_member_is_detected(downloads: Downloads) -> None:
    """The openings claim 1-201's ballot belongs to a unit that already voted: it cannot be counted."""
    downloads.openings["leaves"][5]["unit"] = "1-101"
    assert_fails(downloads, "motion 34", "cannot be counted")


# ---- malformed input ----

def test_unreadable_and_invalid_files(downloads: Downloads, tmp_path: Path) -> None:
    argv = downloads.argv()
    assert_malformed(["--checkpoints", str(tmp_path / "missing.json")], "missing.json", "cannot read file")
    (tmp_path / "bad.json").write_text("{not json")
    assert_malformed(["--checkpoints", str(tmp_path / "bad.json")], "bad.json", "invalid JSON")
    assert_malformed([*argv[:2], "--leaves", str(tmp_path / "bad.json")], "bad.json")


@pytest.mark.parametrize(("name", "mutate", "phrase"), [
    ("checkpoints", lambda d: d.checkpoints.pop("public_key"), "public_key: missing"),
    ("checkpoints", lambda d: d.checkpoints.update(public_key="xyz"), "public_key: must be 64"),
    ("checkpoints", lambda d: d.checkpoints["checkpoints"][1].update(size="3"), "checkpoints[1].size"),
    ("checkpoints", lambda d: d.checkpoints["checkpoints"][1].update(signature="!!"), "checkpoints[1].signature"),
    ("checkpoints", lambda d: d.checkpoints.update(meeting="12"), "meeting: must be a positive integer"),
    ("leaves", lambda d: d.leaves["leaves"].__setitem__(2, "zz"), "leaves[2]: must be 64"),
    ("receipt", lambda d: d.receipt.update(nonce="short"), "nonce: must be 32"),
    ("receipt", lambda d: d.receipt.update(index=-1), "index: must be a non-negative integer"),
    ("openings", lambda d: d.openings["leaves"][3].pop("unit"), "leaves[3].unit: missing"),
    ("openings", lambda d: d.openings["leaves"][3].update(choice="maybe"), "leaves[3].choice"),
    ("totals", lambda d: d.totals[QUESTION].update(participated={"area": "1.00", "heads": 1}), "totals-34.json"),
    ("results", lambda d: d.results[QUESTION].update(matter=11), "result-34.json: matter"),
])
def test_malformed_downloads_exit_2_naming_file_and_field(downloads: Downloads, name: str, mutate: Any,
                                                          phrase: str) -> None:
    mutate(downloads)
    err = assert_malformed(downloads.argv(), phrase)
    assert name.rstrip("s") in err or name in err


def test_option_combinations(downloads: Downloads) -> None:
    paths = downloads.write()
    base = ["--checkpoints", paths["checkpoints"]]
    assert_malformed([*base, "--openings", paths["openings"]], "--openings", "needs --leaves")
    assert_malformed([*base, "--leaves", paths["leaves"], "--ballots", str(downloads.directory / "result-34.json")],
                     "needs --openings")
    assert_malformed([*base, "--key", "abc"], "--key", "64 hexadecimal")
    assert_malformed([*base, "--receipt", paths["receipt"]], "proof", "give --leaves")
    argv = downloads.argv()
    only_one = argv[:argv.index("--totals")] + ["--totals", str(downloads.directory / "totals-34.json")]
    assert_malformed(only_one, "--totals", "no totals.json for motion 35")
    renamed = downloads.directory / "somefile.json"
    renamed.write_text(json.dumps(downloads.results[QUESTION]))
    at = argv.index("--ballots")
    assert_malformed([*argv[:at + 1], str(renamed), *argv[at + 2:]], "somefile.json", "cannot tell the motion")


def test_motion_key_inside_the_file_names_the_motion(downloads: Downloads) -> None:
    argv = downloads.argv()
    renamed = downloads.directory / "question.json"
    renamed.write_text(json.dumps({**downloads.results[QUESTION], "motion": QUESTION}))
    at = argv.index("--ballots")
    code, out, _ = run([*argv[:at + 1], str(renamed), *argv[at + 2:]])
    assert code == 0, out


def test_changing_a_leaf_field_changes_nothing_else(downloads: Downloads) -> None:
    """Sanity of the fixture: the receipt is a real leaf of the log."""
    leaf = Leaf(MEETING, ELECTION, _member("1-102"), "election", (1,), None, _nonce(4))
    assert leaf_hash(leaf_bytes(leaf)).hex() == downloads.leaves["leaves"][4]
    assert leaf_hash(leaf_bytes(replace(leaf, selected=(2,)))).hex() != downloads.leaves["leaves"][4]


# ---- no input makes it crash ----

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.text(max_size=6) | st.sampled_from(["1-101", "yes", "00" * 32]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON document (keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*prefix, i))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_value_gives_an_answer_not_a_traceback(tmp_path: Path, data: st.DataObject) -> None:
    downloads = build(tmp_path)
    documents = {"checkpoints": downloads.checkpoints, "leaves": downloads.leaves, "openings": downloads.openings,
                 "receipt": downloads.receipt, "result": downloads.results[QUESTION],
                 "election": downloads.results[ELECTION], "totals": downloads.totals[ELECTION]}
    document = documents[data.draw(st.sampled_from(sorted(documents)))]
    path = data.draw(st.sampled_from(_paths(document)))
    target = document
    for part in path[:-1]:
        target = target[part]
    if data.draw(st.booleans()):
        target[path[-1]] = data.draw(JSON_VALUES)
    else:
        del target[path[-1]]
    code, out, err = run(downloads.argv())
    assert code in (0, 1, 2)
    assert (out + err).count("\n") == 1 and "Traceback" not in err


# ---- checkpoints downloaded before ----

def _earlier(downloads: Downloads, count: int) -> str:
    """A checkpoints.json downloaded when only the first ``count`` checkpoints existed."""
    path = downloads.directory / f"checkpoints-then-{count}.json"
    earlier = copy.deepcopy(downloads.checkpoints)
    earlier["checkpoints"] = earlier["checkpoints"][:count]
    path.write_text(json.dumps(earlier))
    return str(path)


def test_earlier_downloads_still_published_pass(downloads: Downloads) -> None:
    downloads.extra = ["--earlier", _earlier(downloads, 2), _earlier(downloads, 3)]
    code, out, _ = run(downloads.argv())
    assert code == 0 and "the 5 checkpoints downloaded before are still published" in out


def test_log_rewritten_from_scratch_is_caught_by_an_earlier_download(downloads: Downloads) -> None:
    """The server rebuilds the whole log without one ballot and re-signs every checkpoint: the current files
    agree with each other, but the checkpoints an owner downloaded during voting are gone."""
    kept = _earlier(downloads, 3)
    del downloads.leaves["leaves"][1]
    del downloads.openings["leaves"][1]
    hashes = downloads.hashes()
    downloads.checkpoints["checkpoints"] = [_signed(min(size, 9), root(hashes[:min(size, 9)]), OPENED + timedelta(hours=n))
                                            for n, size in enumerate(CHECKPOINT_SIZES)]
    code, out, _ = run(downloads.argv(receipt=False, openings=False))
    assert code == 0, out  # self-consistent on their own
    downloads.extra = ["--earlier", kept]
    assert_fails(downloads, "checkpoints-then-3.json", "checkpoints[1] (3 ballots", "another root", "rewritten",
                 receipt=False, openings=False)


def test_earlier_checkpoint_dropped_is_detected(downloads: Downloads) -> None:
    kept = _earlier(downloads, 3)
    del downloads.checkpoints["checkpoints"][2]
    downloads.extra = ["--earlier", kept]
    assert_fails(downloads, "checkpoints[2] (6 ballots", "no longer published")


def test_earlier_download_with_another_key_is_detected(downloads: Downloads) -> None:
    kept = _earlier(downloads, 2)
    hashes = downloads.hashes()
    downloads.checkpoints["public_key"] = public_key_bytes(OTHER_KEY).hex()
    downloads.checkpoints["checkpoints"] = [_signed(size, root(hashes[:size]), OPENED + timedelta(hours=n), OTHER_KEY)
                                            for n, size in enumerate(CHECKPOINT_SIZES)]
    downloads.extra = ["--earlier", kept]
    assert_fails(downloads, "changed its key")


def test_totals_given_as_ballots_is_malformed(downloads: Downloads) -> None:
    downloads.results[QUESTION] = downloads.totals[QUESTION]
    assert_malformed(downloads.argv(), "result-34.json: format", "unit scenario")


# ---- the example in docs/examples/ledger ----

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "ledger"
EXAMPLE_KEY = "b6d1407bacd5349c7b876c22ef364fb4d6f3134902d7ff1e316e0cb66f142f84"


def _example_argv(directory: Path) -> list[str]:
    return ["--checkpoints", str(directory / "checkpoints.json"), "--leaves", str(directory / "leaves.json"),
            "--receipt", str(directory / "receipt.json"), "--openings", str(directory / "openings.json"),
            "--ballots", str(directory / "result-34.json"), str(directory / "result-35.json"),
            "--totals", str(directory / "totals-34.json"), str(directory / "totals-35.json"), "--key", EXAMPLE_KEY]


def test_the_documented_example_verifies() -> None:
    """docs/ledger.md tells auditors to try this; a change of a format must keep it valid (or update it)."""
    code, out, err = run(_example_argv(EXAMPLE))
    assert (code, err) == (0, ""), out
    assert out.startswith("OK: meeting 12: 4 checkpoints signed by key ") and "recounted motions 34, 35" in out


def test_the_documented_example_detects_a_flipped_choice(tmp_path: Path) -> None:
    for source in EXAMPLE.glob("*.json"):
        (tmp_path / source.name).write_bytes(source.read_bytes())
    openings = json.loads((tmp_path / "openings.json").read_text(encoding="utf-8"))
    openings["leaves"][0]["choice"] = "no"
    (tmp_path / "openings.json").write_text(json.dumps(openings), encoding="utf-8")
    code, out, _ = run(_example_argv(tmp_path))
    assert code == 1 and "leaves[0]" in out and "differs from what was committed" in out
