"""Presets are data: the registry, the matter classes of docs/rules.md, validation, and derived presets."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import pytest

from vote.rules import (
    DEFAULT_PRESET,
    PRESETS,
    Count,
    Gate,
    InvalidMatter,
    InvalidPreset,
    Preset,
    Ratio,
    UnknownRule,
    decide,
    describe,
    get_preset,
    threshold_summary,
)

RULES_DIR = Path(__file__).resolve().parents[3] / "src" / "vote" / "rules"


def test_registry_holds_the_five_presets_of_rules_md() -> None:
    """Exactly the five ids of docs/rules.md; the Civil Code is the default."""
    assert set(PRESETS) == {"cn-civil-code-2021", "cn-property-law-2007", "tw-condominium-act", "hk-bmo",
                            "de-weg-2020"}
    assert DEFAULT_PRESET == "cn-civil-code-2021"
    assert all(preset.id == key for key, preset in PRESETS.items())


def test_unknown_rule_is_a_clear_error() -> None:
    """get_preset names the field and the known ids."""
    with pytest.raises(UnknownRule) as raised:
        get_preset("cn-civil-code-2020")
    assert raised.value.field == "rule"
    assert "cn-civil-code-2021" in raised.value.message
    with pytest.raises(UnknownRule):
        get_preset(None)  # type: ignore[arg-type]


def test_civil_code_special_matters_are_6_to_8() -> None:
    """Mis-tagging (6)–(8) as ordinary is the most damaging bug: pin the mapping."""
    classes = get_preset("cn-civil-code-2021").classes
    assert {m for m, c in classes.items() if c == "special"} == {6, 7, 8}
    assert {m for m, c in classes.items() if c == "ordinary"} == {1, 2, 3, 4, 5, 9}


def test_property_law_special_matters_are_5_to_7() -> None:
    """The historical preset follows docs/rules.md literally."""
    classes = get_preset("cn-property-law-2007").classes
    assert {m for m, c in classes.items() if c == "special"} == {5, 6, 7}


@pytest.mark.parametrize("matter", [0, 10, -1, True, 6.0, "6", None])
def test_matter_must_be_an_integer_from_1_to_9(matter: object) -> None:
    """bool is not an integer here, nor is 6.0."""
    with pytest.raises(InvalidMatter) as raised:
        decide("cn-civil-code-2021", matter, total=Count(100, 1), yes=Count(100, 1), no=Count(0, 0),  # type: ignore[arg-type]
               abstain=Count(0, 0))
    assert raised.value.field == "matter"


def test_presets_and_their_mappings_are_immutable() -> None:
    """Nobody can change the law at run time by mutating a preset."""
    preset = get_preset("cn-civil-code-2021")
    with pytest.raises(TypeError):
        preset.classes[6] = "ordinary"  # type: ignore[index]
    with pytest.raises(TypeError):
        preset.gates["special"] = ()  # type: ignore[index]
    with pytest.raises(AttributeError):
        preset.id = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("gate_args", "field"),
    [
        (("quorum", "area", "part", "tot", Ratio(2, 3), ">="), "gate.kind"),
        (("approval", "money", "yes", "part", Ratio(1, 2), ">"), "gate.dimension"),
        (("approval", "area", "no", "part", Ratio(1, 2), ">"), "gate.numerator"),
        (("participation", "area", "part", "part", Ratio(1, 2), ">"), "gate.base"),
        (("approval", "area", "yes", "part", Ratio(1, 0), ">"), "gate.fraction"),
        (("approval", "area", "yes", "part", (1.5, 2), ">"), "gate.fraction"),
        (("approval", "area", "yes", "part", Ratio(1, 2), "<"), "gate.comparison"),
    ],
)
def test_malformed_gates_are_rejected(gate_args: tuple, field: str) -> None:
    """A typo in preset data fails loudly at import, not silently at a vote."""
    with pytest.raises(InvalidPreset) as raised:
        Gate(*gate_args)
    assert raised.value.field == field


def test_malformed_presets_are_rejected() -> None:
    """Every matter needs a class, every class gates, every class an approval gate."""
    base = get_preset("cn-civil-code-2021")
    with pytest.raises(InvalidPreset):
        replace(base, classes={m: c for m, c in base.classes.items() if m != 9})
    with pytest.raises(InvalidPreset):
        replace(base, classes={**base.classes, 5: "unheard-of"})
    with pytest.raises(InvalidPreset):
        replace(base, gates={**base.gates, "special": base.gates["special"][:2]})  # participation only


def test_a_community_overlay_is_a_data_entry() -> None:
    """Reclassify a matter and add a gate with ``dataclasses.replace``; the engine just follows."""
    base = get_preset("cn-civil-code-2021")
    extra = Gate("approval", "heads", "yes", "tot", Ratio(1, 2), ">")
    local = replace(base, id="cn-civil-code-2021+test", classes={**base.classes, 5: "special"},
                    gates={**base.gates, "special": base.gates["special"] + (extra,)})
    total, yes, no = Count(40_000, 4), Count(20_000, 2), Count(0, 0)
    abstain = Count(10_000, 1)  # 3 of 4 take part; yes 2 of 3 participants (> 1/2 but < 3/4)

    ordinary = decide(base, 5, total=total, yes=yes, no=no, abstain=abstain)
    overlaid = decide(local, 5, total=total, yes=yes, no=no, abstain=abstain)
    assert (ordinary.outcome, overlaid.outcome) == ("passed", "failed")
    assert overlaid.rule == "cn-civil-code-2021+test"
    assert overlaid.threshold_class == "special"
    assert len(overlaid.checks) == 5 and overlaid.checks[-1].base == "tot"
    assert len(describe(overlaid, "en")) == 5
    assert "1/2" in threshold_summary(local, 5, "en")
    assert base.classes[5] == "ordinary"  # the original is untouched


def test_new_city_preset_works_end_to_end() -> None:
    """A preset built only from data (e.g. a 7-day-notice city with its own threshold) decides."""
    gates = (Gate("participation", "heads", "part", "tot", Ratio(1, 2), ">"),
             Gate("approval", "area", "yes", "cast", Ratio(1, 2), ">"))
    city = Preset(id="xx-city", name_zh="某市", name_en="Some city", classes={m: "all" for m in range(1, 10)},
                  gates={"all": gates})
    decision = decide(city, 1, total=Count(400, 4), yes=Count(100, 1), no=Count(50, 1), abstain=Count(60, 1))
    assert decision.outcome == "passed"  # 100 of 150 cast; abstentions are not "cast"
    assert [c.value for c in decision.checks] == [(3, 4), (100, 150)]


def _source_files() -> list[Path]:
    """The engine's modules."""
    files = sorted(RULES_DIR.glob("*.py"))
    assert files, RULES_DIR
    return files


def test_engine_is_pure_python() -> None:
    """No ORM, web framework or I/O modules in the engine (the tally CLI may read a file)."""
    forbidden = {"sqlalchemy", "litestar", "advanced_alchemy", "os", "pathlib", "io", "subprocess", "socket",
                 "sqlite3", "asyncpg", "aiosqlite", "random", "time", "datetime"}
    for path in _source_files():
        tree = ast.parse(path.read_text("utf-8"))
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom)}
        assert not imported & forbidden, (path.name, imported & forbidden)
        if path.name != "tally_cli.py":
            assert "sys" not in imported and "open(" not in path.read_text("utf-8"), path.name
            assert "float(" not in path.read_text("utf-8"), path.name


def test_no_code_branches_on_a_preset_id() -> None:
    """Preset ids appear only in the preset data, never as ``if`` conditions elsewhere."""
    ids = "|".join(re.escape(i) for i in PRESETS)
    for path in _source_files():
        if path.name != "presets.py":
            assert not re.search(ids, path.read_text("utf-8")), path.name
