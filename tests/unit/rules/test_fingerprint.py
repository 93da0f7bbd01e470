"""A preset's fingerprint changes with what decides, and only with that."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vote.rules import PRESETS, Gate, Ratio, UnknownRule, get_preset
from vote.rules.fingerprint import preset_document, preset_hash


def test_each_preset_has_its_own_stable_fingerprint() -> None:
    hashes = {rule: preset_hash(rule) for rule in PRESETS}
    assert len(set(hashes.values())) == len(PRESETS)
    assert all(len(h) == 64 and int(h, 16) >= 0 for h in hashes.values())
    assert preset_hash("cn-civil-code-2021") == preset_hash(get_preset("cn-civil-code-2021"))


def test_a_changed_threshold_or_class_changes_the_fingerprint_a_new_name_does_not() -> None:
    base = get_preset("cn-civil-code-2021")
    renamed = replace(base, name_zh="改名", name_en="Renamed")
    assert preset_hash(renamed) == preset_hash(base)
    stricter = replace(base, gates={**base.gates, "ordinary": base.gates["ordinary"][:-1] + (
        Gate("approval", "heads", "yes", "part", Ratio(2, 3), ">"),)})
    assert preset_hash(stricter) != preset_hash(base)
    reclassified = replace(base, classes={**base.classes, 5: "special"})
    assert preset_hash(reclassified) != preset_hash(base)
    assert '"fraction":[3,4]' in preset_document(base) and "民法典" not in preset_document(base)


def test_an_unknown_rule_has_no_fingerprint() -> None:
    with pytest.raises(UnknownRule):
        preset_hash("cn-made-up")
