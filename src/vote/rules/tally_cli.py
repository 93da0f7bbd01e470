"""``vote tally FILE``: recompute a decision from a scenario file (docs/tally-format.md).

The file is a unit scenario (a question, or an election with ``"kind": "election"``) or a totals
scenario (``"format": "totals"``, what the public download of a motion carries).

Prints one JSON object on stdout and exits 0; on invalid input prints exactly one line
``<field>: <message>`` on stderr, nothing on stdout, and exits 2. ``FILE`` may be ``-`` for stdin.
Run as ``vote tally FILE`` or ``python -m vote.rules.tally_cli FILE``.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from vote.rules.errors import RulesError
from vote.rules.scenario import evaluate, load_scenario

USAGE = "usage: vote tally FILE  (a scenario JSON file, or - for standard input)"
EXIT_OK = 0
EXIT_INVALID = 2


def _write(stream: TextIO, text: str) -> None:
    """Write UTF-8 whatever the stream's locale encoding (Chinese text must never crash output)."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
        return
    stream.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def _read(path: str) -> bytes:
    """The bytes of ``path`` (``-`` is stdin); an unreadable file is a ``RulesError`` on ``path``."""
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise RulesError(path, f"cannot read file: {error.strerror or error}") from None


def run(path: str) -> str:
    """The JSON output for the scenario at ``path``; raises ``RulesError`` on invalid input."""
    return json.dumps(evaluate(load_scenario(_read(path), source=path)), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``argv`` is ``[FILE]`` (defaults to ``sys.argv[1:]``); returns the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args in (["-h"], ["--help"]):
        _write(sys.stdout, USAGE + "\n")
        return EXIT_OK
    if len(args) != 1:
        _write(sys.stderr, USAGE + "\n")
        return EXIT_INVALID
    try:
        output = run(args[0])
    except RulesError as error:
        _write(sys.stderr, " ".join(str(error).splitlines()) + "\n")
        return EXIT_INVALID
    _write(sys.stdout, output)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
