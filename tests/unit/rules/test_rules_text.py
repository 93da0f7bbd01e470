"""Plain-language text: matter names, threshold summaries, and one sentence per check."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from vote.rules import (
    CANDIDATE_STATUSES,
    LOCALES,
    PRESETS,
    Count,
    Gate,
    Ratio,
    UnsupportedLocale,
    decide,
    describe,
    election_summary,
    get_preset,
    matter_label,
    outcome_label,
    seat_rule_summary,
    status_label,
    threshold_summary,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
RULES_MD = REPO_ROOT / "docs" / "rules.md"


def rules_md_matters() -> dict[int, tuple[str, str]]:
    """The table "The nine matters" of docs/rules.md: number -> (Chinese name, ordinary|special)."""
    rows = re.findall(r"^\| (\d) \| (\S+) \| (ordinary|special) \|$", RULES_MD.read_text("utf-8"), re.M)
    return {int(n): (name, klass) for n, name, klass in rows}


def test_matter_names_and_classes_match_rules_md() -> None:
    """The nine names are docs/rules.md's, and the default preset's classes are docs/rules.md's."""
    matters = rules_md_matters()
    assert sorted(matters) == list(range(1, 10))
    preset = get_preset("cn-civil-code-2021")
    for number, (name, klass) in matters.items():
        assert matter_label(number) == matter_label(number, "zh_CN") == name
        assert preset.classes[number] == klass
        assert re.fullmatch(r"[A-Z][a-z' (),-]+[a-z)]", matter_label(number, "en"))


def test_describe_the_worked_example() -> None:
    """The sentence shape given in the brief, in both languages."""
    decision = decide("cn-civil-code-2021", 6, total=Count(31700, 3), yes=Count(10200, 1), no=Count(0, 0),
                      abstain=Count(12000, 1))
    zh = describe(decision, "zh_CN")
    assert zh[0] == "参与表决的专有部分面积占总面积 222.00/317.00（70.03%），要求 ≥ 2/3：达到"
    assert zh[1] == "参与表决的业主人数占总人数 2/3（66.67%），要求 ≥ 2/3：达到"
    assert zh[2] == "同意的专有部分面积占参与表决的面积 102.00/222.00（45.95%），要求 ≥ 3/4：未达到"
    en = describe(decision, "en")
    assert en[0] == "Participating area: 222.00 of 317.00 in scope (70.03%); required ≥ 2/3: met"
    assert en[3] == "Owners voting yes: 1 of 2 participating (50.00%); required ≥ 3/4: not met"


@pytest.mark.parametrize("rule", list(PRESETS))
@pytest.mark.parametrize("locale", LOCALES)
def test_every_check_of_every_preset_is_described(rule: str, locale: str) -> None:
    """One distinct sentence per check, met/not met stated, also with nobody voting (no 0/0 crash)."""
    for yes in (Count(0, 0), Count(30_000, 3)):
        decision = decide(rule, 6, total=Count(40_000, 4), yes=yes, no=Count(0, 0), abstain=Count(0, 0))
        sentences = describe(decision, locale)
        assert len(sentences) == len(set(sentences)) == len(decision.checks)
        for sentence, check in zip(sentences, decision.checks, strict=True):
            ending = ("达到" if check.met else "未达到") if locale == "zh_CN" else ("met" if check.met else "not met")
            assert sentence.endswith(ending)


def test_hong_kong_speaks_of_shares() -> None:
    """hk-bmo's area dimension carries undivided shares, and the text says so."""
    decision = decide("hk-bmo", 1, total=Count(1000, 10), yes=Count(300, 3), no=Count(200, 2), abstain=Count(0, 0))
    assert describe(decision)[1] == "同意的业权份数 3.00，反对的业权份数 2.00，要求同意 > 反对：达到"
    assert describe(decision, "en")[1] == "Shares voting yes: 3.00, voting no: 2.00; required yes > no: met"


def test_threshold_summaries() -> None:
    """The plain-words threshold shown when drafting a motion."""
    assert threshold_summary("cn-civil-code-2021", 6) == (
        "重大事项（特别多数）：参与表决的专有部分面积和业主人数均占总数的三分之二以上（含本数）；"
        "同意的专有部分面积和业主人数均占参与表决总数的四分之三以上（含本数）。")
    assert threshold_summary("cn-civil-code-2021", 4, "en") == (
        "Ordinary matter: at least 2/3 of the area and of the owners in scope must take part; "
        "more than 1/2 of the area and of the owners taking part must vote yes.")
    assert "不设参与表决比例要求" in threshold_summary("de-weg-2020", 1)
    assert "十分之一" in threshold_summary("hk-bmo", 1)
    for rule in PRESETS:
        for matter in range(1, 10):
            for locale in LOCALES:
                assert threshold_summary(rule, matter, locale)


def test_locales() -> None:
    """zh/zh-CN/zh_CN and en/en-US are understood; anything else is an error."""
    assert outcome_label("no-quorum", "zh-CN") == outcome_label("no-quorum", "zh")
    assert outcome_label("passed", "en-US") == "passed"
    with pytest.raises(UnsupportedLocale):
        matter_label(1, "fr")


def test_text_follows_gate_data_of_a_derived_preset() -> None:
    """A rival gate with another fraction (yes ≥ 2 × no) is worded from the data, in both languages."""
    base = get_preset("de-weg-2020")
    double = replace(base, id="de-weg-2020+double",
                     gates={"uniform": (Gate("approval", "heads", "yes", "no", Ratio(2, 1), ">="),)})
    assert threshold_summary(double, 1, "en").endswith("owners voting yes must be at least 2/1 × owners voting no.")
    assert threshold_summary(double, 1).endswith("同意的业主人数达到反对的业主人数的 2/1 倍。")
    decision = decide(double, 1, total=Count(500, 5), yes=Count(200, 2), no=Count(100, 1), abstain=Count(0, 0))
    assert decision.outcome == "passed"
    assert describe(decision) == ["同意的业主人数 2，反对的业主人数 1，要求同意 ≥ 2/1 × 反对：达到"]


def test_election_texts() -> None:
    """An election is told as who is elected and k of K seats, never as passed or failed."""
    assert election_summary(["赵敏"], 2, 1) == "当选：赵敏；应选 2 名，实选 1 名，需补选 1 名。"
    assert election_summary(["赵敏", "钱立"], 2, 2) == "当选：赵敏、钱立；应选 2 名，实选 2 名。"
    assert election_summary([], 1, 0) == "无人当选；应选 1 名，实选 0 名，需补选 1 名。"
    assert election_summary([], 2, 0, no_quorum=True) == "参与表决未达法定比例，本次选举无人当选；应选 2 名，实选 0 名。"
    assert election_summary(["A"], 3, 1, locale="en") == (
        "Elected: A; 3 seats, 1 filled; a by-election is needed for 2 seats.")
    for text in (election_summary(["A"], 1, 1, locale=loc) for loc in LOCALES):
        assert not re.search("通过|passed|failed", text)
    assert status_label("tied").endswith("均不当选") and status_label("elected", "en") == "elected"
    assert len({status_label(s, loc) for s in CANDIDATE_STATUSES for loc in LOCALES}) == 10


def test_the_seat_rule_follows_the_preset_data() -> None:
    """Heads first by default; a preset ranking by area first says so; Hong Kong speaks of shares."""
    assert seat_rule_summary("cn-civil-code-2021").startswith(
        "达到当选条件的候选人，按同意的业主人数从多到少排序，人数相同的按同意的专有部分面积从多到少排序")
    by_area = replace(get_preset("cn-civil-code-2021"), id="x", seat_order=("area",))
    assert "按同意的专有部分面积从多到少排序，依次当选" in seat_rule_summary(by_area)
    assert "ranked by owners voting yes, then by shares voting yes" in seat_rule_summary("hk-bmo", "en")
