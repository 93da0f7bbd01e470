"""Fail CI when the PostgreSQL or browser tests were skipped or absent."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(paths: list[str]) -> int:
    """Count PostgreSQL and browser test cases that ran and passed."""
    cases = [case for path in paths for case in ET.parse(path).getroot().iter("testcase")]
    counts = {"postgres": [0, 0], "browser": [0, 0]}
    for case in cases:
        name = case.get("name", "")
        classname = case.get("classname", "")
        kind = "browser" if "e2e" in classname else "postgres" if "[postgres" in name else None
        if kind is None:
            continue
        skipped = case.find("skipped") is not None
        counts[kind][1 if skipped else 0] += 1
    failed = False
    for kind, (ran, skipped) in counts.items():
        print(f"ci: {kind} tests run: {ran}, skipped: {skipped}")
        if ran == 0 or skipped:
            failed = True
    if failed:
        print("ci: FAILED: PostgreSQL and browser tests must run, not be skipped", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
