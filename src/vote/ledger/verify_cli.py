"""``vote verify``: check a meeting's ledger downloads offline, without the server's database (docs/ledger.md).

    vote verify --checkpoints checkpoints.json [--earlier old-checkpoints.json ...] [--leaves leaves.json]
                [--receipt receipt.json] [--openings openings.json --ballots result-34.json ... --totals totals-34.json ...]
                [--key HEX]

What it checks, in this order, stopping at the first failure:

1. every checkpoint is signed by the file's public key (and that key is ``--key`` when given), names
   the meeting's log, and the checkpoints are listed oldest first, never shrinking; every checkpoint of
   a ``checkpoints.json`` downloaded before (``--earlier``) is still published, unchanged;
2. with ``--leaves``: each checkpoint's root is the root of the first ``size`` leaf hashes, each one is
   consistent with the one before (an RFC 6962 consistency proof built from the leaves verifies), and
   the leaves are exactly those of the latest checkpoint;
3. with ``--receipt``: the receipt's ballot is in the latest checkpoint's tree, at its position;
4. with ``--openings``: every opening hashes to the leaf at its position and they cover exactly the
   latest checkpoint's leaves; with ``--ballots`` and ``--totals``, per motion, the ballots the openings
   give, counted over the units of ``result.json`` by ``vote.rules``, yield the totals and the outcome
   of ``totals.json``, and ``result.json`` lists the same ballots.

Exit 0 with one summary line on standard output when everything holds; exit 1 with the first failure,
in words, on standard output; exit 2 with one line ``<file>: <field>: <problem>`` on standard error for
malformed input. Never a traceback. Run as ``vote verify`` or ``python -m vote.ledger.verify_cli``.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vote.ledger.checkpoint import Checkpoint, CheckpointError, checkpoint_from_dict, format_timestamp, key_id, verify
from vote.ledger.leaf import Leaf, LeafError, leaf_bytes, leaf_from_dict
from vote.ledger.merkle import Tree, leaf_hash, verify_consistency, verify_inclusion
from vote.rules.errors import RulesError
from vote.rules.scenario import TotalsScenario, evaluate, parse_json, parse_scenario
from vote.rules.tally_cli import _write

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
_HASH = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(r"[0-9a-fA-F]{64}")
_MOTION_IN_NAME = re.compile(r"(\d+)\.json$")
_COUNT_KEYS = ("total", "participated", "yes", "no", "abstain")
_COUNT_NAMES = {"total": "the voting scope", "participated": "participation", "yes": "yes", "no": "no",
                "abstain": "abstain", "blank": "blank ballots", "spoiled": "spoiled ballots"}


class Malformed(Exception):
    """Input that is not what the format says: exit 2. ``str()`` is ``<file>: <field>: <problem>``."""

    def __init__(self, source: str, field: str, message: str) -> None:
        super().__init__(f"{source}: {field}: {message}" if field else f"{source}: {message}")


class Failed(Exception):
    """A check that does not hold: exit 1, the message says which and why."""


@dataclass(frozen=True)
class Signed:
    """One published checkpoint with its signature."""

    position: int
    checkpoint: Checkpoint
    signature: bytes
    key_id: str

    def label(self) -> str:
        cp = self.checkpoint
        return f"checkpoints[{self.position}] ({cp.size} ballots, {format_timestamp(cp.timestamp)})"


@dataclass(frozen=True)
class Checkpoints:
    path: str
    meeting: int
    origin: str
    public_key: bytes
    entries: list[Signed]


@dataclass(frozen=True)
class Opening:
    index: int | None
    unit: str | None
    leaf: Leaf


# ---- reading the downloads ----

def _load(path: str) -> Any:
    """The decoded JSON of ``path`` (strict: UTF-8, no duplicate keys, no NaN)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise Malformed(path, "", f"cannot read file: {error.strerror or error}") from None
    try:
        return parse_json(raw, path)
    except RulesError as error:
        raise Malformed(path, "", error.message) from None


def _object(value: object, path: str, field: str, keys: set[str], optional: set[str] = frozenset()) -> dict:
    """``value`` as a JSON object with exactly ``keys`` (plus any of ``optional``)."""
    if not isinstance(value, dict):
        raise Malformed(path, field or "(top level)", "must be a JSON object")
    for key in value:
        if key not in keys and key not in optional:
            raise Malformed(path, f"{field}.{key}" if field else key, "unknown key")
    for key in sorted(keys):
        if key not in value:
            raise Malformed(path, f"{field}.{key}" if field else key, "missing")
    return value


def _meeting(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Malformed(path, "meeting", "must be a positive integer (the meeting id)")
    return value


def _origin(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise Malformed(path, "origin", "must be the log's name, e.g. vote/garden/12")
    return value


def _hashes(value: object, path: str, field: str) -> list[bytes]:
    if not isinstance(value, list):
        raise Malformed(path, field, "must be a list of 64-digit hexadecimal hashes")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _HASH.fullmatch(item):
            raise Malformed(path, f"{field}[{i}]", "must be 64 lower-case hexadecimal digits")
    return [bytes.fromhex(item) for item in value]


def _index(value: object, path: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Malformed(path, field, "must be a non-negative integer (a position in the log)")
    return value


def load_checkpoints(path: str) -> Checkpoints:
    """``checkpoints.json``: the meeting, its log's origin, the public key and every checkpoint (shape only)."""
    document = _object(_load(path), path, "", {"meeting", "origin", "public_key", "checkpoints"})
    meeting = _meeting(document["meeting"], path)
    origin = _origin(document["origin"], path)
    key = document["public_key"]
    if not isinstance(key, str) or not _HASH.fullmatch(key):
        raise Malformed(path, "public_key", "must be 64 lower-case hexadecimal digits (an Ed25519 public key)")
    listed = document["checkpoints"]
    if not isinstance(listed, list):
        raise Malformed(path, "checkpoints", "must be a list")
    entries = []
    for i, item in enumerate(listed):
        try:
            checkpoint, signature, identifier = checkpoint_from_dict(item)
        except CheckpointError as error:
            field = f"checkpoints[{i}]" if error.field == "checkpoint" else f"checkpoints[{i}].{error.field}"
            raise Malformed(path, field, error.message) from None
        entries.append(Signed(i, checkpoint, signature, identifier))
    return Checkpoints(path, meeting, origin, bytes.fromhex(key), entries)


def load_leaves(path: str) -> tuple[int, str, list[bytes]]:
    """``leaves.json``: the meeting, the origin and the leaf hashes in log order."""
    document = _object(_load(path), path, "", {"meeting", "origin", "leaves"})
    return _meeting(document["meeting"], path), _origin(document["origin"], path), _hashes(document["leaves"], path, "leaves")


def _leaf(value: dict, path: str, field: str, extra: frozenset[str]) -> Leaf:
    try:
        return leaf_from_dict(value, extra=extra)
    except LeafError as error:
        raise Malformed(path, f"{field}.{error.field}" if field else error.field, error.message) from None


@dataclass(frozen=True)
class Receipt:
    leaf: Leaf
    index: int | None
    proof: list[bytes] | None
    checkpoint: Signed | None


def load_receipt(path: str) -> Receipt:
    """A receipt: the leaf dict with ``index`` (as printed or scanned), optionally with ``proof`` and
    ``checkpoint``; or the site's answer ``{"leaf": {...}, "index", "proof", "checkpoint"}``."""
    document = _load(path)
    if not isinstance(document, dict):
        raise Malformed(path, "(top level)", "must be a JSON object")
    if "leaf" in document:
        _object(document, path, "", {"leaf"}, {"index", "proof", "checkpoint", "included"})
        if not isinstance(document["leaf"], dict):
            raise Malformed(path, "leaf", "must be a JSON object")
        leaf = _leaf(document["leaf"], path, "leaf", frozenset({"index"}))
    else:
        leaf = _leaf(document, path, "", frozenset({"index", "proof", "checkpoint"}))
    index = _index(document["index"], path, "index") if "index" in document else None
    proof = _hashes(document["proof"], path, "proof") if "proof" in document else None
    signed = None
    if "checkpoint" in document:
        try:
            checkpoint, signature, identifier = checkpoint_from_dict(document["checkpoint"])
        except CheckpointError as error:
            raise Malformed(path, f"checkpoint.{error.field}", error.message) from None
        signed = Signed(-1, checkpoint, signature, identifier)
    return Receipt(leaf, index, proof, signed)


def load_openings(path: str) -> tuple[int, list[Opening]]:
    """``openings.json``: the meeting and each opened ballot with its position and unit."""
    document = _object(_load(path), path, "", {"meeting", "leaves"})
    meeting = _meeting(document["meeting"], path)
    listed = document["leaves"]
    if not isinstance(listed, list):
        raise Malformed(path, "leaves", "must be a list")
    openings = []
    for i, item in enumerate(listed):
        field = f"leaves[{i}]"
        if not isinstance(item, dict):
            raise Malformed(path, field, "must be a JSON object")
        if "unit" not in item:
            raise Malformed(path, f"{field}.unit", "missing")
        unit = item["unit"]
        if unit is not None and (not isinstance(unit, str) or not unit):
            raise Malformed(path, f"{field}.unit", "must be a unit id as in result.json, or null")
        index = _index(item["index"], path, f"{field}.index") if "index" in item else None
        openings.append(Opening(index, unit, _leaf(item, path, field, frozenset({"index", "unit"}))))
    return meeting, openings


def _motion_files(paths: list[str], option: str) -> dict[int, tuple[str, dict]]:
    """Each file of ``--ballots``/``--totals`` by motion: its ``"motion"`` key, else the number in its
    name as the site names downloads (``result-34.json``, ``totals-34.json``)."""
    files: dict[int, tuple[str, dict]] = {}
    for path in paths:
        document = _load(path)
        if not isinstance(document, dict):
            raise Malformed(path, "(top level)", "must be a JSON object")
        motion = document.pop("motion", None)
        document.pop("meeting", None)
        if motion is None:
            match = _MOTION_IN_NAME.search(Path(path).name)
            if match is None:
                raise Malformed(path, "motion", f"{option}: cannot tell the motion: keep the downloaded name "
                                                "(…-<motion id>.json) or add \"motion\": <id>")
            motion = int(match.group(1))
        if isinstance(motion, bool) or not isinstance(motion, int) or motion < 1:
            raise Malformed(path, "motion", "must be a positive integer (the motion id)")
        if motion in files:
            raise Malformed(path, "motion", f"{option}: motion {motion} is already given by {files[motion][0]}")
        files[motion] = (path, document)
    return files


# ---- the checks ----

def check_checkpoints(cps: Checkpoints, expected_key: bytes | None) -> None:
    """Signatures, key, origin and order of the published checkpoints (no leaves needed)."""
    if not cps.entries:
        raise Failed(f"{cps.path} holds no checkpoint: there is nothing signed to verify")
    kid = key_id(cps.public_key)
    if expected_key is not None and expected_key != cps.public_key:
        raise Failed(f"the checkpoints are signed with key {kid}, not with the expected key {key_id(expected_key)} "
                     "(--key): they do not come from the deployment you trust")
    if not cps.origin.endswith(f"/{cps.meeting}"):
        raise Failed(f"{cps.path} is for meeting {cps.meeting} but names the log {cps.origin}")
    previous: Signed | None = None
    for entry in cps.entries:
        cp = entry.checkpoint
        if cp.origin != cps.origin:
            raise Failed(f"{entry.label()} is a checkpoint of the log {cp.origin}, not of {cps.origin}")
        if entry.key_id != kid:
            raise Failed(f"{entry.label()} names the key {entry.key_id}, not the meeting's key {kid}: "
                         "it was not signed by this deployment")
        if not verify(cps.public_key, cp, entry.signature):
            raise Failed(f"{entry.label()}: the signature does not verify with key {kid}: "
                         "the checkpoint is forged or was altered after signing")
        if previous is not None:
            before = previous.checkpoint
            if cp.timestamp < before.timestamp:
                raise Failed(f"{entry.label()} is older than {previous.label()}: checkpoints must be listed oldest first")
            if cp.size < before.size:
                raise Failed(f"{entry.label()} has fewer ballots than {previous.label()}: the log shrank")
            if cp.size == before.size and cp.root != before.root:
                raise Failed(f"{previous.label()} and {entry.label()} have the same size but different roots: "
                             "the log was rewritten between them")
        previous = entry


def check_earlier(cps: Checkpoints, earlier: Checkpoints) -> int:
    """A ``checkpoints.json`` downloaded before: same log and key, and every checkpoint it held is still
    published, unchanged (a server that rewrote its log would have to drop or alter one); returns how many."""
    if (earlier.meeting, earlier.origin) != (cps.meeting, cps.origin):
        raise Failed(f"{earlier.path} is for meeting {earlier.meeting} ({earlier.origin}), {cps.path} for meeting "
                     f"{cps.meeting} ({cps.origin})")
    if earlier.public_key != cps.public_key:
        raise Failed(f"{earlier.path} was signed with key {key_id(earlier.public_key)}, {cps.path} with key "
                     f"{key_id(cps.public_key)}: the deployment changed its key")
    current = {(e.checkpoint, e.signature) for e in cps.entries}
    for entry in earlier.entries:
        if not verify(earlier.public_key, entry.checkpoint, entry.signature):
            raise Failed(f"{earlier.path}: {entry.label()}: the signature does not verify with key "
                         f"{key_id(earlier.public_key)}: it is no checkpoint of this deployment")
        if (entry.checkpoint, entry.signature) not in current:
            same_size = [e for e in cps.entries if e.checkpoint.size == entry.checkpoint.size]
            if same_size and same_size[0].checkpoint.root != entry.checkpoint.root:
                raise Failed(f"{earlier.path}: {entry.label()} has another root than {same_size[0].label()} of "
                             f"{cps.path}: the log was rewritten after it was signed")
            raise Failed(f"{earlier.path}: {entry.label()} is no longer published in {cps.path}")
    return len(earlier.entries)


def check_leaves(cps: Checkpoints, path: str, meeting: int, origin: str, leaves: list[bytes]) -> Tree:
    """Each checkpoint is the root of a prefix of ``leaves``, consistent with the one before, and the leaves
    are exactly the latest checkpoint's; returns the tree for the later checks."""
    if meeting != cps.meeting or origin != cps.origin:
        raise Failed(f"{path} is for meeting {meeting} ({origin}), the checkpoints for meeting {cps.meeting} "
                     f"({cps.origin})")
    latest = cps.entries[-1]
    if len(leaves) < latest.checkpoint.size:
        raise Failed(f"{path} lists {len(leaves)} ballots but {latest.label()} was signed over "
                     f"{latest.checkpoint.size}: ballots were removed from the log")
    if len(leaves) > latest.checkpoint.size:
        raise Failed(f"{path} lists {len(leaves)} ballots but the latest checkpoint, {latest.label()}, covers "
                     f"{latest.checkpoint.size}: ballots were added after it was signed")
    tree = Tree(leaves)
    previous: Signed | None = None
    for entry in cps.entries:
        cp = entry.checkpoint
        if tree.root(cp.size) != cp.root:
            raise Failed(f"{entry.label()} does not match the first {cp.size} ballots of {path}: ballots were "
                         "deleted, added, reordered or changed after this checkpoint was signed")
        if previous is not None:
            before = previous.checkpoint
            proof = tree.consistency_proof(before.size, cp.size)
            if not verify_consistency(before.size, cp.size, before.root, cp.root, proof):
                raise Failed(f"{entry.label()} is not consistent with {previous.label()}: the log did not only grow")
        previous = entry
    return tree


def check_receipt(cps: Checkpoints, path: str, receipt: Receipt, tree: Tree | None) -> int:
    """The receipt's ballot is in the latest checkpoint's tree; returns its position."""
    leaf = receipt.leaf
    if leaf.meeting_id != cps.meeting:
        raise Failed(f"the receipt is for meeting {leaf.meeting_id}, these downloads are for meeting {cps.meeting}: "
                     "it proves nothing about this meeting")
    final = cps.entries[-1]
    hashed = leaf_hash(leaf_bytes(leaf))
    against = final
    if receipt.checkpoint is not None:
        given = receipt.checkpoint.checkpoint
        if receipt.checkpoint.key_id != key_id(cps.public_key) or not verify(cps.public_key, given,
                                                                              receipt.checkpoint.signature):
            raise Failed(f"the checkpoint in {path} is not signed by the meeting's key {key_id(cps.public_key)}")
        listed = [e for e in cps.entries if e.checkpoint.size == given.size and e.checkpoint.root == given.root]
        if not listed:
            raise Failed(f"the checkpoint in {path} ({given.size} ballots) is not among the published checkpoints")
        against = listed[-1]
    index = receipt.index
    if tree is not None:
        size = final.checkpoint.size
        found = [i for i in range(size) if tree.leaves[i] == hashed]
        if not found:
            raise Failed(f"the ballot of {path} is NOT in the log of {final.label()}: no leaf has its hash "
                         f"{hashed.hex()}")
        if index is not None and index not in found:
            raise Failed(f"{path} gives position {index}, but its ballot is at position {found[0]} of the log")
        index = found[0] if index is None else index
        if not verify_inclusion(index, size, hashed, tree.inclusion_proof(index, size), final.checkpoint.root):
            raise Failed(f"the ballot of {path} does not lead to the root of {final.label()}")
    if receipt.proof is not None:
        if index is None:
            raise Malformed(path, "index", "missing (needed with a proof)")
        cp = against.checkpoint
        if not verify_inclusion(index, cp.size, hashed, receipt.proof, cp.root):
            raise Failed(f"the inclusion proof in {path} does not lead from its ballot to the root of "
                         f"{against.label()}: the ballot is not proven to be in the log")
    elif tree is None:
        raise Malformed(path, "proof", "missing: give --leaves, or a receipt with its inclusion proof")
    assert index is not None
    return index


def check_openings(cps: Checkpoints, path: str, meeting: int, openings: list[Opening], tree: Tree) -> None:
    """Together the openings hash to exactly the latest checkpoint's leaves, each once.

    They are listed by unit, not in log order, and carry no position: the position of a ballot in
    the log is its casting order, which inspection must not reveal (docs/secrecy.md). So the
    openings are compared with the leaves as a multiset of hashes.
    """
    if meeting != cps.meeting:
        raise Failed(f"{path} is for meeting {meeting}, the checkpoints for meeting {cps.meeting}")
    final = cps.entries[-1]
    size = final.checkpoint.size
    remaining = Counter(tree.leaves[:size])
    for i, opening in enumerate(openings):
        if opening.leaf.meeting_id != cps.meeting:
            raise Failed(f"{path}: leaves[{i}] is a ballot of meeting {opening.leaf.meeting_id}")
        digest = leaf_hash(leaf_bytes(opening.leaf))
        if remaining[digest] == 0:
            raise Failed(f"{path}: leaves[{i}] (unit {opening.unit}, motion {opening.leaf.motion_id}) is not a ballot "
                         f"of {final.label()}, or is opened twice: its content differs from what was committed")
        remaining[digest] -= 1
    if len(openings) != size:
        raise Failed(f"{path} opens {len(openings)} ballots but {final.label()} holds {size}: "
                     f"{size - len(openings)} committed ballots are not opened")


def _ballot(opening: Opening, kind: str, motion: int, path: str) -> dict[str, Any]:
    """An opening as a ballot of the unit scenario (``tally-format.md``)."""
    leaf = opening.leaf
    if (kind == "election") != (leaf.choice == "election"):
        raise Failed(f"{path}: the ballot of unit {opening.unit} is "
                     f"{'an election ballot' if leaf.choice == 'election' else 'a yes/no/abstain ballot'} "
                     f"but motion {motion} is {'an election' if kind == 'election' else 'a question'}")
    entry: dict[str, Any] = {"unit": opening.unit}
    if kind == "election":
        entry["selected"] = [str(position) for position in leaf.selected]
    else:
        entry["choice"] = leaf.choice
    if leaf.mark:
        entry["mark"] = leaf.mark
    return entry


def _count(value: dict[str, Any]) -> str:
    return f"area {value['area']}, heads {value['heads']}"


def _describe(ballot: dict[str, Any] | None) -> str:
    if ballot is None:
        return "no ballot"
    what = ballot["choice"] if "choice" in ballot else f"candidates {ballot['selected'] or 'none'}"
    return f"{what} ({ballot['mark']})" if "mark" in ballot else what


def recount(motion: int, openings: list[Opening], openings_path: str, result: tuple[str, dict],
            totals: tuple[str, dict]) -> int:
    """Count the opened ballots of ``motion`` over the units of its ``result.json`` and compare with its
    ``totals.json``; returns how many ballots were counted."""
    result_path, result_doc = result
    totals_path, totals_doc = totals
    try:
        listed_scenario = parse_scenario(result_doc)
    except RulesError as error:
        raise Malformed(result_path, error.field, error.message) from None
    if isinstance(listed_scenario, TotalsScenario):
        raise Malformed(result_path, "format", "--ballots takes the unit scenario (result.json), not the totals")
    try:
        published_scenario = parse_scenario(totals_doc)
    except RulesError as error:
        raise Malformed(totals_path, error.field, error.message) from None
    if not isinstance(published_scenario, TotalsScenario):
        raise Malformed(totals_path, "format", "must be \"totals\" (the public totals download)")
    kind = "election" if result_doc.get("kind") == "election" else "question"
    mine = [o for o in openings if o.leaf.motion_id == motion]
    ballots = sorted((_ballot(o, kind, motion, openings_path) for o in mine if o.unit is not None),
                     key=lambda ballot: ballot["unit"])
    try:
        counted = evaluate(parse_scenario({**result_doc, "ballots": ballots}))
    except RulesError as error:
        raise Failed(f"motion {motion}: the ballots of the ledger cannot be counted over the units of {result_path}: "
                     f"{error}") from None
    published = evaluate(published_scenario)
    for key in ("rule", "matter", "kind"):
        if counted.get(key) != published.get(key):
            raise Failed(f"motion {motion}: {result_path} has {key} {counted.get(key)!r}, "
                         f"{totals_path} {published.get(key)!r}")
    if result_doc.get("rule_hash") and totals_doc.get("rule_hash") and result_doc["rule_hash"] != totals_doc["rule_hash"]:
        raise Failed(f"motion {motion}: {result_path} and {totals_path} name different rule fingerprints (rule_hash)")
    keys = ["total", "participated"] + ([] if kind == "election" else ["yes", "no", "abstain"])
    keys += [key for key in ("blank", "spoiled") if key in totals_doc]
    for key in keys:
        if counted[key] != published[key]:
            raise Failed(f"motion {motion}: the ledger's ballots give {_COUNT_NAMES[key]} {_count(counted[key])}, "
                         f"{totals_path} publishes {_count(published[key])}")
    if kind == "election":
        ours = {c["id"]: c["yes"] for c in counted["candidates"]}
        theirs = {c["id"]: c["yes"] for c in published["candidates"]}
        if set(ours) != set(theirs):
            raise Failed(f"motion {motion}: {result_path} and {totals_path} list different candidates")
        for candidate, yes in ours.items():
            if yes != theirs[candidate]:
                raise Failed(f"motion {motion}: the ledger's ballots give candidate {candidate} yes {_count(yes)}, "
                             f"{totals_path} publishes {_count(theirs[candidate])}")
        stated = totals_doc.get("outcome", {}).get("elected") if isinstance(totals_doc.get("outcome"), dict) else None
        if stated is not None and stated != counted["elected"]:
            raise Failed(f"motion {motion}: the ledger's ballots elect {counted['elected'] or 'nobody'}, "
                         f"{totals_path} publishes {stated or 'nobody'} as elected")
    else:
        stated = totals_doc.get("outcome")
        if stated is not None and stated != counted["outcome"]:
            raise Failed(f"motion {motion}: the ledger's ballots give the outcome {counted['outcome']}, "
                         f"{totals_path} publishes {stated}")
    listed = {b["unit"]: b for b in result_doc.get("ballots", []) if isinstance(b, dict)}
    ledger = {b["unit"]: b for b in ballots}
    for unit in sorted(set(listed) | set(ledger)):
        if listed.get(unit) != ledger.get(unit):
            raise Failed(f"motion {motion}: {result_path} lists for unit {unit} {_describe(listed.get(unit))}, "
                         f"the ledger {_describe(ledger.get(unit))}")
    return len(ballots)


# ---- the command ----

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``vote verify`` (shared by ``vote`` and ``python -m vote.ledger.verify_cli``)."""
    parser.add_argument("--checkpoints", required=True, metavar="FILE", help="the meeting's checkpoints.json")
    parser.add_argument("--leaves", metavar="FILE", help="the meeting's leaves.json (the leaf hashes)")
    parser.add_argument("--receipt", metavar="FILE", help="a ballot receipt (JSON, as printed or as the site gives it)")
    parser.add_argument("--openings", metavar="FILE", help="openings.json (inspectors, after the final result)")
    parser.add_argument("--ballots", nargs="+", action="extend", default=[], metavar="FILE",
                        help="result-<motion>.json per motion (the unit scenario)")
    parser.add_argument("--totals", nargs="+", action="extend", default=[], metavar="FILE",
                        help="totals-<motion>.json per motion (the public totals)")
    parser.add_argument("--earlier", nargs="+", action="extend", default=[], metavar="FILE",
                        help="checkpoints.json files you downloaded before: each of their checkpoints must still "
                             "be published, unchanged")
    parser.add_argument("--key", metavar="HEX", help="the deployment's public key you trust (64 hex digits)")


def verify_downloads(args: argparse.Namespace) -> str:
    """Run every check the options ask for; the summary line, or ``Failed`` / ``Malformed``."""
    expected = None
    if args.key is not None:
        if not _KEY.fullmatch(args.key):
            raise Malformed("--key", "", "must be 64 hexadecimal digits (an Ed25519 public key)")
        expected = bytes.fromhex(args.key)
    if args.openings and not args.leaves:
        raise Malformed("--openings", "", "needs --leaves (the openings are checked against the leaf hashes)")
    if (args.ballots or args.totals) and not args.openings:
        raise Malformed("--ballots" if args.ballots else "--totals", "", "needs --openings")
    if bool(args.ballots) != bool(args.totals):
        raise Malformed("--totals" if args.ballots else "--ballots", "", "missing: the recount needs "
                        "result.json (--ballots) and totals.json (--totals) for every motion")
    cps = load_checkpoints(args.checkpoints)
    earlier = [load_checkpoints(path) for path in args.earlier]
    leaves = load_leaves(args.leaves) if args.leaves else None
    receipt = load_receipt(args.receipt) if args.receipt else None
    openings = load_openings(args.openings) if args.openings else None
    results = _motion_files(args.ballots, "--ballots")
    totals = _motion_files(args.totals, "--totals")
    motions: list[int] = []
    if openings is not None and results:
        motions = sorted({o.leaf.motion_id for o in openings[1]} | set(results) | set(totals))
        for motion in motions:
            if motion not in results:
                raise Malformed("--ballots", "", f"no result.json for motion {motion}")
            if motion not in totals:
                raise Malformed("--totals", "", f"no totals.json for motion {motion}")

    check_checkpoints(cps, expected)
    final = cps.entries[-1].checkpoint
    parts = [f"meeting {cps.meeting}: {len(cps.entries)} checkpoint{'s' if len(cps.entries) != 1 else ''} "
             f"signed by key {key_id(cps.public_key)}"]
    if earlier:
        kept = sum(check_earlier(cps, before) for before in earlier)
        parts.append(f"the {kept} checkpoint{'s' if kept != 1 else ''} downloaded before are still published")
    tree = None
    if leaves is not None:
        tree = check_leaves(cps, args.leaves, *leaves)
        parts.append(f"the log only grew, to {final.size} ballots matching {Path(args.leaves).name}")
    if receipt is not None:
        position = check_receipt(cps, args.receipt, receipt, tree)
        parts.append(f"the receipt's ballot is in the log at position {position}")
    if openings is not None:
        assert tree is not None
        check_openings(cps, args.openings, openings[0], openings[1], tree)
        parts.append(f"all {final.size} ballots opened")
        uncounted = sum(1 for o in openings[1] if o.unit is None)
        for motion in motions:
            recount(motion, openings[1], args.openings, results[motion], totals[motion])
        if motions:
            parts.append(f"recounted motion{'s' if len(motions) > 1 else ''} {', '.join(map(str, motions))}: "
                         "the published totals and outcomes hold")
        if uncounted:
            parts.append(f"{uncounted} ballot{'s' if uncounted > 1 else ''} outside the voting scope not counted")
    return "; ".join(parts)


def run(args: argparse.Namespace) -> int:
    """Print the verdict of ``verify_downloads``; returns the exit code."""
    try:
        summary = verify_downloads(args)
    except Malformed as error:
        _write(sys.stderr, "vote verify: " + " ".join(str(error).splitlines()) + "\n")
        return EXIT_INVALID
    except Failed as failure:
        _write(sys.stdout, "FAILED: " + " ".join(str(failure).splitlines()) + "\n")
        return EXIT_FAILED
    _write(sys.stdout, f"OK: {summary}\n")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m vote.ledger.verify_cli``."""
    parser = argparse.ArgumentParser(prog="vote verify", description="Check a meeting's ledger downloads offline.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
