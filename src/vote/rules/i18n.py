"""Plain-language text for decisions, in Chinese (zh_CN, first) and English (en).

The sentences are generated from the gate data (``Check``/``Gate`` fields), never from a preset id, so
a derived preset is described correctly without new text. Percentages are display-only and computed
with integers (``arithmetic.format_percent``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from vote.rules.arithmetic import Comparison, Ratio, format_area, format_percent
from vote.rules.election import CandidateStatus
from vote.rules.engine import Check, Decision, Outcome
from vote.rules.errors import UnsupportedLocale
from vote.rules.presets import Dimension, Gate, Preset, Quantity, resolve_rule, validate_matter

Locale = Literal["zh_CN", "en"]
LOCALES: tuple[Locale, ...] = ("zh_CN", "en")

MATTERS_ZH = {
    1: "制定和修改业主大会议事规则",
    2: "制定和修改管理规约",
    3: "选举业主委员会或者更换业主委员会成员",
    4: "选聘和解聘物业服务企业或者其他管理人",
    5: "使用建筑物及其附属设施的维修资金",
    6: "筹集建筑物及其附属设施的维修资金",
    7: "改建、重建建筑物及其附属设施",
    8: "改变共有部分的用途或者利用共有部分从事经营活动",
    9: "有关共有和共同管理权利的其他重大事项",
}
MATTERS_EN = {
    1: "Adopting or amending the rules of procedure of the owners' assembly",
    2: "Adopting or amending the management statute (owners' covenant)",
    3: "Electing the owners' committee or replacing its members",
    4: "Engaging or dismissing the property services company or other manager",
    5: "Using the maintenance fund of the buildings and their ancillary facilities",
    6: "Raising the maintenance fund of the buildings and their ancillary facilities",
    7: "Altering or rebuilding the buildings and their ancillary facilities",
    8: "Changing the use of common parts or using common parts for business",
    9: "Other major matters concerning common ownership and joint management rights",
}
_OUTCOMES = {
    "passed": ("通过", "passed"),
    "failed": ("未通过", "failed"),
    "no-quorum": ("参与表决未达法定比例，不成决议", "no quorum: too few owners took part"),
}
_CLASSES = {
    "ordinary": ("一般事项", "ordinary matter"),
    "special": ("重大事项（特别多数）", "special matter (qualified majority)"),
    "uniform": ("各事项同一门槛", "same threshold for every matter"),
}
_MET = {"zh_CN": ("达到", "未达到"), "en": ("met", "not met")}
_SYMBOL = {">=": "≥", ">": ">"}
_ZH_DIGITS = "零一二三四五六七八九"


def normalize_locale(locale: str) -> Locale:
    """``"zh_CN"`` for any Chinese tag (zh, zh-CN, zh_Hans…), ``"en"`` for English; else raise."""
    tag = locale.replace("-", "_").lower() if isinstance(locale, str) else ""
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    raise UnsupportedLocale("locale", f"must be zh_CN or en, got {locale!r}")


def _pick(pair: tuple[str, str], locale: str) -> str:
    """The Chinese or English member of a (zh, en) pair."""
    return pair[0] if normalize_locale(locale) == "zh_CN" else pair[1]


def matter_label(matter: int, locale: str = "zh_CN") -> str:
    """The name of matter 1–9 (民法典 Art. 278) in ``locale``."""
    matter = validate_matter(matter)
    return _pick((MATTERS_ZH[matter], MATTERS_EN[matter]), locale)


def outcome_label(outcome: Outcome, locale: str = "zh_CN") -> str:
    """The outcome (``passed``/``failed``/``no-quorum``) in plain words."""
    return _pick(_OUTCOMES[outcome], locale)


def class_label(threshold_class: str, locale: str = "zh_CN") -> str:
    """The name of a threshold class; an unknown (community-defined) class is shown as is."""
    return _pick(_CLASSES.get(threshold_class, (threshold_class, threshold_class)), locale)


def _zh_number(n: int) -> str:
    """Chinese numerals for 0–99 (三, 十, 二十三); larger numbers stay in digits."""
    if n < 10:
        return _ZH_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _ZH_DIGITS[tens]) + "十" + (_ZH_DIGITS[ones] if ones else "")
    return str(n)


def _zh_fraction(fraction: Ratio) -> str:
    """2/3 -> 三分之二."""
    return f"{_zh_number(fraction.den)}分之{_zh_number(fraction.num)}"


def _noun(dimension: Dimension, area_term: str, locale: Locale, short: bool = False) -> str:
    """What a dimension counts: 专有部分面积 / 业权份数 / 业主人数, or area / shares / owners."""
    if dimension == "heads":
        return ("人数" if short else "业主人数") if locale == "zh_CN" else "owners"
    if area_term == "shares":
        return ("份数" if short else "业权份数") if locale == "zh_CN" else "shares"
    return ("面积" if short else "专有部分面积") if locale == "zh_CN" else "area"


def _format_value(dimension: Dimension, value: int) -> str:
    """Areas with two decimals, heads as integers."""
    return format_area(value) if dimension == "area" else str(value)


# Phrases for quantities, per locale: the measured quantity, and the base it is measured against.
_NUMERATOR_ZH = {"part": "参与表决的{noun}", "yes": "同意的{noun}"}
_NUMERATOR_EN = {"part": "Participating {noun}", "yes": "{Noun} voting yes"}
_BASE_ZH = {"tot": "总{short}", "part": "参与表决的{short}", "cast": "同意与反对的{short}之和", "no": "反对的{noun}"}
_BASE_EN = {"tot": "in scope", "part": "participating", "cast": "voting yes or no", "no": "voting no"}


def describe_check(check: Check, locale: str = "zh_CN", area_term: str = "area") -> str:
    """One plain sentence for one check, e.g. 参与表决的专有部分面积占总面积 222.00/317.00（70.03%），要求 ≥ 2/3：达到."""
    loc = normalize_locale(locale)
    noun = _noun(check.dimension, area_term, loc)
    short = _noun(check.dimension, area_term, loc, short=True)
    n, d = (_format_value(check.dimension, v) for v in check.value)
    met = _MET[loc][0 if check.met else 1]
    symbol = _SYMBOL[check.comparison]
    times = "" if check.required == (1, 1) else f"{check.required} × "
    percent = format_percent(*check.value)
    shown = f"{percent}%" if percent is not None else "—"
    if loc == "zh_CN":
        subject = _NUMERATOR_ZH[check.numerator].format(noun=noun)
        base = _BASE_ZH[check.base].format(noun=noun, short=short)
        if check.base == "no":
            return f"{subject} {n}，{base} {d}，要求同意 {symbol} {times}反对：{met}"
        return f"{subject}占{base} {n}/{d}（{shown}），要求 {symbol} {check.required}：{met}"
    subject = _NUMERATOR_EN[check.numerator].format(noun=noun, Noun=noun.capitalize())
    if check.base == "no":
        return f"{subject}: {n}, voting no: {d}; required yes {symbol} {times}no: {met}"
    return f"{subject}: {n} of {d} {_BASE_EN[check.base]} ({shown}); required {symbol} {check.required}: {met}"


def describe(decision: Decision, locale: str = "zh_CN") -> list[str]:
    """One plain-language sentence per check of ``decision``, in ``locale`` (zh_CN or en)."""
    return [describe_check(check, locale, decision.area_term) for check in decision.checks]


def _grouped(gates: Iterable[Gate]) -> list[tuple[Gate, list[Dimension]]]:
    """Gates that differ only in dimension, merged: (first gate, [dimensions]) in data order."""
    groups: dict[tuple[str, Quantity, Quantity, Ratio, Comparison], tuple[Gate, list[Dimension]]] = {}
    for gate in gates:
        key = (gate.kind, gate.numerator, gate.base, gate.fraction, gate.comparison)
        groups.setdefault(key, (gate, []))[1].append(gate.dimension)
    return list(groups.values())


def _summary_clause_zh(gate: Gate, dims: list[Dimension], area_term: str) -> str:
    """One threshold clause in Chinese, e.g. 参与表决的专有部分面积和业主人数均占总数的三分之二以上（含本数）."""
    nouns = "和".join(_noun(d, area_term, "zh_CN") for d in dims)
    subject = _NUMERATOR_ZH[gate.numerator].format(noun=nouns) + ("均" if len(dims) > 1 else "")
    if gate.base == "no":
        rival = "反对的" + nouns
        if gate.fraction == (1, 1):
            return f"{subject}{'多于' if gate.comparison == '>' else '不少于'}{rival}"
        return f"{subject}{'超过' if gate.comparison == '>' else '达到'}{rival}的 {gate.fraction} 倍"
    base = {"tot": "总数", "part": "参与表决总数", "cast": "同意与反对总数"}[gate.base]
    if gate.comparison == ">":
        return f"{subject}超过{base}的{_zh_fraction(gate.fraction)}"
    return f"{subject}占{base}的{_zh_fraction(gate.fraction)}以上（含本数）"


def _summary_clause_en(gate: Gate, dims: list[Dimension], area_term: str) -> str:
    """One threshold clause in English, e.g. at least 2/3 of the area and of the owners in scope take part."""
    amount = "more than" if gate.comparison == ">" else "at least"
    nouns = [_noun(d, area_term, "en") for d in dims]
    if gate.base == "no":
        if gate.fraction != (1, 1):
            return " and ".join(f"{n} voting yes must be {amount} {gate.fraction} × {n} voting no" for n in nouns)
        if gate.comparison == ">":
            return " and ".join(f"more {n} must vote yes than no" for n in nouns)
        return " and ".join(f"at least as many {n} must vote yes as no" for n in nouns)
    where = {"tot": "in scope", "part": "taking part", "cast": "voting yes or no"}[gate.base]
    of = " and of the ".join(nouns)
    verb = "must take part" if gate.kind == "participation" else "must vote yes"
    return f"{amount} {gate.fraction} of the {of} {where} {verb}"


def threshold_summary(rule: str | Preset, matter: int, locale: str = "zh_CN") -> str:
    """The threshold ``matter`` needs under ``rule``, in plain words (shown when drafting a motion)."""
    preset = resolve_rule(rule)
    gates = preset.gates_for(matter)
    loc = normalize_locale(locale)
    clause = _summary_clause_zh if loc == "zh_CN" else _summary_clause_en
    clauses = [clause(gate, dims, preset.area_term) for gate, dims in _grouped(gates)]
    if not any(gate.kind == "participation" for gate in gates):
        clauses.insert(0, "不设参与表决比例要求" if loc == "zh_CN" else "no minimum participation")
    if loc == "zh_CN":
        return f"{class_label(preset.class_of(matter), loc)}：" + "；".join(clauses) + "。"
    text = "; ".join(clauses)
    return f"{class_label(preset.class_of(matter), loc).capitalize()}: {text}."


_STATUSES = {
    "elected": ("当选", "elected"),
    "tied": ("与其他候选人并列末位名额（同意的人数和面积均相同），均不当选",
             "tied for the last seat with another candidate: not elected"),
    "runner-up": ("达到当选条件，但名额已满，未当选", "passed, but no seat left: not elected"),
    "failed": ("未达到当选条件，未当选", "conditions not met: not elected"),
    "no-quorum": ("参与表决未达法定比例，未当选", "too few owners took part: not elected"),
}


def status_label(status: CandidateStatus, locale: str = "zh_CN") -> str:
    """A candidate's status (``elected``, ``tied``, ``runner-up``, ``failed``, ``no-quorum``) in plain words."""
    return _pick(_STATUSES[status], locale)


def seat_rule_summary(rule: str | Preset, locale: str = "zh_CN") -> str:
    """How seats are given under ``rule``, from its ``seat_order``, including the rule for a tie at the last seat."""
    preset = resolve_rule(rule)
    loc = normalize_locale(locale)
    nouns = [_noun(dimension, preset.area_term, loc) for dimension in preset.seat_order]
    if loc == "zh_CN":
        shorts = [_noun(dimension, preset.area_term, loc, short=True) for dimension in preset.seat_order]
        order = "，".join([f"按同意的{nouns[0]}从多到少排序",
                          *(f"{shorts[i - 1]}相同的按同意的{nouns[i]}从多到少排序" for i in range(1, len(nouns)))])
        return (f"达到当选条件的候选人，{order}，依次当选至应选名额；"
                "末位名额有两名以上候选人并列（各项均相同）的，均不当选，该名额需补选。")
    order = ", then by ".join(f"{noun} voting yes" for noun in nouns)
    return (f"Candidates who meet the conditions are ranked by {order}, and elected in that order up to the number "
            "of seats; if candidates equal on every count compete for the last seat, none of them is elected and "
            "a by-election is needed for that seat.")


def election_summary(elected: Sequence[str], seats: int, seats_filled: int, *, no_quorum: bool = False,
                     locale: str = "zh_CN") -> str:
    """One sentence for an election's result, e.g. 当选：赵敏；应选 2 名，实选 1 名，需补选 1 名。 (never "passed")."""
    loc = normalize_locale(locale)
    empty = seats - seats_filled
    if loc == "zh_CN":
        if no_quorum:
            head = "参与表决未达法定比例，本次选举无人当选"
        else:
            head = f"当选：{'、'.join(elected)}" if elected else "无人当选"
        tail = f"，需补选 {empty} 名" if empty and not no_quorum else ""
        return f"{head}；应选 {seats} 名，实选 {seats_filled} 名{tail}。"
    if no_quorum:
        head = "Too few owners took part: nobody is elected"
    else:
        head = f"Elected: {', '.join(elected)}" if elected else "Nobody is elected"
    tail = f"; a by-election is needed for {empty} seat{'s' if empty > 1 else ''}" if empty and not no_quorum else ""
    return f"{head}; {seats} seat{'s' if seats > 1 else ''}, {seats_filled} filled{tail}."
