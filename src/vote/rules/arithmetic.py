"""Exact arithmetic: areas in integer hundredths of m², fractions as integer pairs, no floats.

A gate compares a value ``n/d`` with a required fraction ``p/q`` by cross-multiplication
(``n·q ≥ p·d`` or ``n·q > p·d``), so no division and no rounding ever decides an outcome.
Percentages are computed only for display, with integer round-half-up.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

Comparison = Literal[">=", ">"]
COMPARISONS: tuple[Comparison, ...] = (">=", ">")

# ASCII digits only: `\d` would also accept Arabic-Indic or full-width digits.
_AREA = re.compile(r"(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]{1,2}))?")
MAX_AREA_DIGITS = 12  # < 10¹² m² per unit: far above any real unit, and no giant integers


class Ratio(NamedTuple):
    """A non-negative fraction ``num/den`` kept as two integers (``den`` > 0), e.g. ``Ratio(2, 3)``."""

    num: int
    den: int

    def __str__(self) -> str:
        """Render as ``"2/3"``."""
        return f"{self.num}/{self.den}"


def meets(numerator: int, denominator: int, required: Ratio, comparison: Comparison) -> bool:
    """Whether ``numerator/denominator`` satisfies ``comparison`` against ``required``, exactly.

    Zero over zero never meets a gate: a share of nothing approves nothing (e.g. an approval gate
    over participants when nobody took part). A zero denominator with a positive numerator is only
    possible for a rival base (``yes > no`` with no ``no`` votes) and meets the gate, as it should.
    """
    if numerator == 0 and denominator == 0:
        return False
    left = numerator * required.den
    right = required.num * denominator
    return left >= right if comparison == ">=" else left > right


def smallest_meeting(denominator: int, required: Ratio, comparison: Comparison) -> int:
    """The smallest integer numerator ``n`` for which ``n/denominator`` satisfies the gate.

    ``n ≥ p·d/q`` rounds up; ``n > p·d/q`` is the next integer above ``⌊p·d/q⌋``. With a zero
    denominator no numerator meets (``meets``: 0/0 never does), and 0 is returned: nothing can be added.
    """
    if denominator == 0:
        return 0
    if comparison == ">=":
        return -(-required.num * denominator // required.den)
    return required.num * denominator // required.den + 1


def parse_area(text: str, *, allow_zero: bool = False) -> int:
    """Parse a positive decimal string with at most two decimals (``"89.5"``) into hundredths (8950).

    ``allow_zero`` accepts ``"0.00"`` too (a total of nobody). Raises ``ValueError`` with a short
    reason; callers wrap it with the field path.
    """
    if not isinstance(text, str):
        raise ValueError("must be a decimal string such as \"89.50\"")
    match = _AREA.fullmatch(text)
    if match is None:
        raise ValueError(f"must be a decimal string with at most 2 decimals such as \"89.50\", got {text!r}")
    if len(match["whole"].lstrip("0")) > MAX_AREA_DIGITS:
        raise ValueError(f"must be less than 1{'0' * MAX_AREA_DIGITS}")
    centi = int(match["whole"]) * 100 + int((match["frac"] or "0").ljust(2, "0"))
    if centi < 0 or (centi == 0 and not allow_zero):
        raise ValueError("must be positive")
    return centi


def format_area(centi: int) -> str:
    """Render hundredths as a decimal string with exactly two decimals (8950 -> ``"89.50"``)."""
    sign = "-" if centi < 0 else ""
    whole, frac = divmod(abs(centi), 100)
    return f"{sign}{whole}.{frac:02d}"


def format_percent(numerator: int, denominator: int, places: int = 2) -> str | None:
    """``numerator/denominator`` as a percentage string rounded half-up (``"70.03"``), None if d = 0."""
    if denominator == 0:
        return None
    scale = 10**places
    scaled = (2 * numerator * 100 * scale + denominator) // (2 * denominator)
    whole, frac = divmod(scaled, scale)
    return f"{whole}.{frac:0{places}d}" if places else str(whole)
