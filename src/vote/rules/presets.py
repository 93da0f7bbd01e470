"""Rule presets as data: which matters need which threshold, and the gates of each threshold class.

A preset maps each of the nine matters (民法典 Art. 278 items 1–9) to a threshold class and gives each
class a tuple of gates. A gate reads ``numerator / base  <comparison>  fraction`` in one dimension:

    Gate("participation", "area", "part", "tot", Ratio(2, 3), ">=")   # 3·A_part ≥ 2·A_tot
    Gate("approval", "heads", "yes", "part", Ratio(1, 2), ">")        # 2·N_yes > N_part
    Gate("approval", "area", "yes", "no", Ratio(1, 1), ">")           # A_yes > A_no (votes cast)

Quantities: ``tot`` the voting scope, ``part`` members who returned a ballot (abstentions included),
``yes``/``no``/``abstain`` by choice, ``cast`` = yes + no. The engine never branches on a preset id.

A city overlay or a community's adopted rules is a new data entry, usually derived from a preset
with ``dataclasses.replace`` (validation runs again on the copy)::

    from dataclasses import replace
    base = get_preset("cn-civil-code-2021")
    # matter 5 (using the maintenance fund) needs the special majority in this community
    local = replace(base, id="cn-civil-code-2021+x", classes={**base.classes, 5: "special"})
    # or an extra gate, e.g. special matters also need yes > 1/2 of all heads in scope
    extra = Gate("approval", "heads", "yes", "tot", Ratio(1, 2), ">")
    local = replace(base, id="cn-civil-code-2021+y", gates={**base.gates, "special": base.gates["special"] + (extra,)})

An election ranks the candidates who passed by the preset's ``seat_order`` (default yes heads, then
yes area; ``replace(base, seat_order=("area", "heads"))`` for a community that adopted area first).

Register it with ``PRESETS[local.id] = local`` at start-up, or pass the ``Preset`` object to
``decide``/``tally`` directly. Which units are in the voting scope (e.g. whether parking spaces count,
指导规则 Art. 25) is decided by the caller when it builds the unit list, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from vote.rules.arithmetic import COMPARISONS, Comparison, Ratio
from vote.rules.errors import InvalidMatter, InvalidPreset, UnknownRule

GateKind = Literal["participation", "approval"]
Dimension = Literal["area", "heads"]
Quantity = Literal["tot", "part", "yes", "no", "abstain", "cast"]
AreaTerm = Literal["area", "shares"]

MATTERS: tuple[int, ...] = tuple(range(1, 10))
DIMENSIONS: tuple[Dimension, ...] = ("area", "heads")
# The quantity a gate measures, and the bases it may be measured against, per kind of gate.
_NUMERATORS: dict[str, tuple[str, ...]] = {"participation": ("part",), "approval": ("yes",)}
_BASES: dict[str, tuple[str, ...]] = {"participation": ("tot",), "approval": ("tot", "part", "no", "cast")}


@dataclass(frozen=True, slots=True)
class Gate:
    """One condition of a threshold: ``numerator/base <comparison> fraction`` in one dimension."""

    kind: GateKind
    dimension: Dimension
    numerator: Quantity
    base: Quantity
    fraction: Ratio
    comparison: Comparison

    def __post_init__(self) -> None:
        """Reject gates the engine cannot evaluate."""
        if self.kind not in _NUMERATORS:
            raise InvalidPreset("gate.kind", f"must be one of {sorted(_NUMERATORS)}, got {self.kind!r}")
        if self.dimension not in DIMENSIONS:
            raise InvalidPreset("gate.dimension", f"must be one of {list(DIMENSIONS)}, got {self.dimension!r}")
        if self.numerator not in _NUMERATORS[self.kind]:
            raise InvalidPreset("gate.numerator", f"must be one of {list(_NUMERATORS[self.kind])} for {self.kind}")
        if self.base not in _BASES[self.kind]:
            raise InvalidPreset("gate.base", f"must be one of {list(_BASES[self.kind])} for {self.kind}")
        fraction = self.fraction
        if not (isinstance(fraction, tuple) and len(fraction) == 2 and all(_is_int(x) for x in fraction)):
            raise InvalidPreset("gate.fraction", "must be a pair of integers (num, den)")
        if fraction[0] < 0 or fraction[1] <= 0:
            raise InvalidPreset("gate.fraction", "must have num >= 0 and den > 0")
        if not isinstance(fraction, Ratio):
            object.__setattr__(self, "fraction", Ratio(*fraction))
        if self.comparison not in COMPARISONS:
            raise InvalidPreset("gate.comparison", f"must be one of {list(COMPARISONS)}, got {self.comparison!r}")


@dataclass(frozen=True)
class Preset:
    """A named rule: matter -> threshold class, and class -> gates. Immutable; derive with ``replace``."""

    id: str
    name_zh: str
    name_en: str
    classes: Mapping[int, str]
    gates: Mapping[str, tuple[Gate, ...]]
    area_term: AreaTerm = "area"
    """What the ``area`` dimension carries: m² of exclusive parts, or undivided shares (Hong Kong)."""
    seat_order: tuple[Dimension, ...] = ("heads", "area")
    """How an election ranks the candidates who passed: by yes in these dimensions, in this order."""

    def __post_init__(self) -> None:
        """Validate the data and freeze the mappings."""
        if not isinstance(self.id, str) or not self.id:
            raise InvalidPreset("preset.id", "must be a non-empty string")
        if self.area_term not in ("area", "shares"):
            raise InvalidPreset("preset.area_term", "must be 'area' or 'shares'")
        order = self.seat_order
        if (not isinstance(order, tuple) or not order or len(set(order)) != len(order)
                or not all(d in DIMENSIONS for d in order)):
            raise InvalidPreset("preset.seat_order", f"{self.id}: must be distinct dimensions among {list(DIMENSIONS)}")
        classes = dict(self.classes)
        if sorted(classes) != list(MATTERS):
            raise InvalidPreset("preset.classes", f"{self.id}: must map exactly the matters 1-9")
        gates = {name: tuple(g) for name, g in self.gates.items()}
        for matter, name in classes.items():
            if name not in gates:
                raise InvalidPreset(f"preset.classes[{matter}]", f"{self.id}: class {name!r} has no gates")
        for name, class_gates in gates.items():
            if not all(isinstance(g, Gate) for g in class_gates):
                raise InvalidPreset(f"preset.gates[{name}]", f"{self.id}: must be a tuple of Gate")
            if not any(g.kind == "approval" for g in class_gates):
                raise InvalidPreset(f"preset.gates[{name}]", f"{self.id}: needs at least one approval gate")
        object.__setattr__(self, "classes", MappingProxyType(classes))
        object.__setattr__(self, "gates", MappingProxyType(gates))

    def __hash__(self) -> int:
        """Hash by id (the mappings are read-only views, which are not hashable themselves)."""
        return hash(self.id)

    def class_of(self, matter: int) -> str:
        """The threshold class of ``matter`` (validated to be 1–9)."""
        return self.classes[validate_matter(matter)]

    def gates_for(self, matter: int) -> tuple[Gate, ...]:
        """The gates deciding ``matter``: participation gates first, then approval, in data order."""
        class_gates = self.gates[self.class_of(matter)]
        return tuple(sorted(class_gates, key=lambda g: g.kind != "participation"))


def _is_int(value: object) -> bool:
    """True for ``int`` but not ``bool`` (JSON ``true`` is not a number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def validate_matter(matter: object) -> int:
    """Return ``matter`` if it is an integer 1–9, else raise ``InvalidMatter`` (bool is not an integer)."""
    if not _is_int(matter):
        raise InvalidMatter("matter", f"must be an integer from 1 to 9, got {matter!r}")
    if matter not in MATTERS:
        raise InvalidMatter("matter", f"must be from 1 to 9, got {matter}")
    return matter  # type: ignore[return-value]


def both_dimensions(kind: GateKind, numerator: Quantity, base: Quantity, fraction: Ratio,
                    comparison: Comparison) -> tuple[Gate, Gate]:
    """The same gate in area and in heads ("且": both dimensions must pass)."""
    return tuple(Gate(kind, dim, numerator, base, fraction, comparison) for dim in DIMENSIONS)  # type: ignore[return-value]


def _classes(special: tuple[int, ...] = (), *, ordinary: str = "ordinary") -> dict[int, str]:
    """Matter -> class, with ``special`` matters in class "special" and the rest in ``ordinary``."""
    return {m: ("special" if m in special else ordinary) for m in MATTERS}


_CIVIL_PARTICIPATION = both_dimensions("participation", "part", "tot", Ratio(2, 3), ">=")
_PROPERTY_PARTICIPATION = both_dimensions("participation", "part", "tot", Ratio(1, 2), ">")
_TW_PARTICIPATION = both_dimensions("participation", "part", "tot", Ratio(2, 3), ">=")

CN_CIVIL_CODE_2021 = Preset(
    id="cn-civil-code-2021",
    name_zh="民法典（2021）第二百七十八条",
    name_en="PRC Civil Code (2021), Art. 278",
    classes=_classes(special=(6, 7, 8)),
    gates={
        "ordinary": _CIVIL_PARTICIPATION + both_dimensions("approval", "yes", "part", Ratio(1, 2), ">"),
        "special": _CIVIL_PARTICIPATION + both_dimensions("approval", "yes", "part", Ratio(3, 4), ">="),
    },
)
CN_PROPERTY_LAW_2007 = Preset(
    id="cn-property-law-2007",
    name_zh="物权法（2007）第七十六条（已废止，仅供历史对照）",
    name_en="PRC Property Law (2007), Art. 76 (superseded; historical only)",
    classes=_classes(special=(5, 6, 7)),
    gates={
        "ordinary": _PROPERTY_PARTICIPATION + both_dimensions("approval", "yes", "tot", Ratio(1, 2), ">"),
        "special": _PROPERTY_PARTICIPATION + both_dimensions("approval", "yes", "tot", Ratio(2, 3), ">="),
    },
)
TW_CONDOMINIUM_ACT = Preset(
    id="tw-condominium-act",
    name_zh="公寓大厦管理条例（台湾）第三十一条",
    name_en="Taiwan Condominium Administration Act, Art. 31",
    classes=_classes(ordinary="uniform"),
    gates={"uniform": _TW_PARTICIPATION + both_dimensions("approval", "yes", "part", Ratio(3, 4), ">=")},
)
HK_BMO = Preset(
    id="hk-bmo",
    name_zh="建筑物管理条例（香港，第344章）",
    name_en="Hong Kong Building Management Ordinance (Cap. 344)",
    classes=_classes(ordinary="uniform"),
    gates={
        "uniform": (
            Gate("participation", "heads", "part", "tot", Ratio(1, 10), ">="),
            Gate("approval", "area", "yes", "no", Ratio(1, 1), ">"),
        )
    },
    area_term="shares",
)
DE_WEG_2020 = Preset(
    id="de-weg-2020",
    name_zh="德国住宅所有权法（WEG 2020）第25条，一人一票",
    name_en="German WEG 2020, §25 (one owner, one vote)",
    classes=_classes(ordinary="uniform"),
    gates={"uniform": (Gate("approval", "heads", "yes", "no", Ratio(1, 1), ">"),)},
)

PRESETS: dict[str, Preset] = {
    p.id: p for p in (CN_CIVIL_CODE_2021, CN_PROPERTY_LAW_2007, TW_CONDOMINIUM_ACT, HK_BMO, DE_WEG_2020)
}
DEFAULT_PRESET = CN_CIVIL_CODE_2021.id


def get_preset(rule_id: str) -> Preset:
    """The registered preset ``rule_id``; raise ``UnknownRule`` (field ``rule``) if there is none."""
    if not isinstance(rule_id, str):
        raise UnknownRule("rule", f"must be a preset id string, got {rule_id!r}")
    try:
        return PRESETS[rule_id]
    except KeyError:
        raise UnknownRule("rule", f"unknown rule {rule_id!r}; known: {', '.join(sorted(PRESETS))}") from None


def resolve_rule(rule: str | Preset) -> Preset:
    """A ``Preset`` passed through, or the registered preset with that id."""
    return rule if isinstance(rule, Preset) else get_preset(rule)
