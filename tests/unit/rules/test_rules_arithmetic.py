"""Exact arithmetic: strict area parsing, formatting, display percentages, and gate comparison."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vote.rules import Ratio, format_area, format_percent, parse_area
from vote.rules.arithmetic import meets

SETTINGS = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("text", "centi"),
    [("89.50", 8950), ("89.5", 8950), ("89", 8900), ("0.01", 1), ("007.10", 710), ("123456789012.34", 12345678901234)],
)
def test_parse_area_accepts_positive_decimals(text: str, centi: int) -> None:
    """Up to two decimals, exact to the hundredth."""
    assert parse_area(text) == centi


@pytest.mark.parametrize(
    "text",
    ["0", "0.00", "0.0", "-1.00", "+1.00", "1.234", "1e3", " 1.00", "1.00 ", "1,00", ".5", "5.", "",
     "NaN", "inf", "１.００", "٣.٥", "1_000", "0x10", "1.2.3", "1000000000000", "9" * 5000],
)
def test_parse_area_rejects_everything_else(text: str) -> None:
    """Zero, signs, three decimals, exponents, spaces, non-ASCII digits are all errors."""
    with pytest.raises(ValueError):
        parse_area(text)


@pytest.mark.parametrize("value", [12.5, 12, None, True, ["1.00"]])
def test_parse_area_rejects_non_strings(value: object) -> None:
    """A JSON number is not a decimal string (floats would round)."""
    with pytest.raises(ValueError, match="decimal string"):
        parse_area(value)  # type: ignore[arg-type]


@SETTINGS
@given(st.integers(1, 10**14 - 1))
def test_area_round_trip(centi: int) -> None:
    """format then parse is the identity, and agrees with Decimal."""
    text = format_area(centi)
    assert parse_area(text) == centi
    assert Decimal(text) == Decimal(centi) / 100
    assert len(text.split(".")[1]) == 2


@SETTINGS
@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_percent_is_exact_half_up(numerator: int, denominator: int) -> None:
    """Display percentages are the exact value rounded half-up to two places (as Decimal would)."""
    scaled = Fraction(numerator * 10_000, denominator)
    expected = Decimal(scaled.numerator) / Decimal(scaled.denominator) / 100
    floor = scaled.numerator // scaled.denominator
    half_up = floor + (1 if scaled - floor >= Fraction(1, 2) else 0)
    assert format_percent(numerator, denominator) == f"{half_up // 100}.{half_up % 100:02d}"
    if scaled.denominator in (1, 2, 4, 5, 8, 10):  # exactly representable: Decimal must agree
        assert format_percent(numerator, denominator) == str(expected.quantize(Decimal("0.01"), ROUND_HALF_UP))


def test_percent_examples_and_zero_denominator() -> None:
    """70.03% for 222/317, 66.67% for 2/3; nothing for x/0."""
    assert format_percent(22200, 31700) == "70.03"
    assert format_percent(2, 3) == "66.67"
    assert format_percent(1, 8) == "12.50"
    assert format_percent(0, 0) is None


@SETTINGS
@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 20), st.integers(1, 20),
       st.sampled_from([">=", ">"]))
def test_meets_agrees_with_fractions(n: int, d: int, p: int, q: int, comparison: str) -> None:
    """Cross-multiplication equals Fraction comparison whenever the denominator is positive."""
    got = meets(n, d, Ratio(p, q), comparison)  # type: ignore[arg-type]
    if d == 0:
        assert got is (n > 0)  # 0/0 is never met; x/0 only arises as "yes > no" with no "no"
    else:
        value = Fraction(n, d)
        assert got is (value >= Fraction(p, q) if comparison == ">=" else value > Fraction(p, q))
