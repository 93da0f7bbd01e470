"""Running ``vote tally`` in tests: call the entry point on a document and read exit code, stdout, stderr."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from vote.rules.tally_cli import main


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """Call ``main`` with stdout and stderr captured as text."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def run_document(document: Any, directory: Path) -> tuple[int, str, str]:
    """Write ``document`` (JSON data, or raw ``bytes``) to a file and tally it."""
    path = directory / "scenario.json"
    path.write_bytes(document if isinstance(document, bytes) else json.dumps(document).encode())
    return run_main([str(path)])


def changed(path: str, value: Any, document: Any) -> Any:
    """A copy of ``document`` with the value at a dotted path (``units.1.area``) replaced; ``...`` deletes it."""
    document = json.loads(json.dumps(document))
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = document
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return document


def assert_invalid(result: tuple[int, str, str], field: str) -> None:
    """Exit 2, nothing on stdout, one stderr line ``<field>: <message>``, no traceback."""
    code, out, err = result
    assert code == 2, err
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"{field}: "), err
    assert len(err) > len(field) + 3
    assert "Traceback" not in err
