"""Vendored front-end files are exactly the pinned ones, and pages reference them."""

from __future__ import annotations

import hashlib
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "src" / "vote" / "static" / "vendor"


def test_vendored_files_match_their_checksums() -> None:
    lines = (VENDOR / "SHA256SUMS").read_text().split("\n")
    entries = [line.split() for line in lines if line.strip()]
    assert {name for _, name in entries} == {"htmx-4.0.1.min.js", "pico-2.1.1.min.css"}
    for digest, name in entries:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_base_template_loads_only_local_assets() -> None:
    base = (Path(__file__).resolve().parents[2] / "templates" / "base.html").read_text()
    assert "/static/vendor/htmx-4.0.1.min.js" in base
    assert "http://" not in base and "https://" not in base
