"""Bench only: ``vote serve`` with the ballot ledger switched off, to measure what the ledger costs a cast.

``bench/cast.py --ledger-overhead`` runs the same casts against this server and against the real one,
in the same run. The product itself has no way to switch the ledger off: this file patches it in the
benchmark's own server process only. Arguments are those of ``vote serve``.
"""

from __future__ import annotations

import sys

from vote.__main__ import main
from vote.domain.ballots.services import BallotService
from vote.ledger import services as ledger


async def _no_append(*_args: object, **_kwargs: object) -> None:
    """The ledger append, skipped."""


def _no_leaves(*_args: object, **_kwargs: object) -> list:
    """The leaves of a form, not computed."""
    return []


ledger.append = _no_append  # type: ignore[assignment]
BallotService._leaves = _no_leaves  # type: ignore[assignment,method-assign]

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
