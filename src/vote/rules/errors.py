"""Typed errors for invalid input to the rules engine.

Every error names the offending input by a ``field`` path (``units[3].area``, ``ballots[0].choice``,
``matter``; list indexes are 0-based, as in the JSON array) and carries a one-line message, so the
``vote tally`` command, the web app and tests can all say exactly what is wrong.
"""

from __future__ import annotations


class RulesError(ValueError):
    """Invalid input to the rules engine; ``str(error)`` is ``"<field>: <message>"``."""

    def __init__(self, field: str, message: str) -> None:
        """Record the offending ``field`` path and a one-line ``message``."""
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class UnknownRule(RulesError):
    """The rule (preset) id is not known."""


class InvalidMatter(RulesError):
    """The matter is not an integer from 1 to 9 (Civil Code Art. 278 items)."""


class InvalidUnit(RulesError):
    """A unit record is invalid: id, area or owners."""


class InvalidBallot(RulesError):
    """A ballot names an unknown unit or an invalid choice."""


class DuplicateBallot(InvalidBallot):
    """Two ballots land on the same voting member."""


class InvalidCount(RulesError):
    """Aggregated counts passed to ``decide`` are negative, inconsistent or exceed the total."""


class InvalidElection(RulesError):
    """An election is malformed: seats out of range, a duplicate or unknown candidate, too many selected."""


class InvalidPreset(RulesError):
    """A preset (or a community's derived preset) is malformed."""


class InvalidScenario(RulesError):
    """A tally scenario document is malformed: bad JSON, wrong types, unknown or missing keys."""


class UnsupportedLocale(RulesError):
    """A locale other than Chinese (zh_CN) or English (en) was requested."""
