"""A preset's fingerprint: the SHA-256 of its decisive content in canonical JSON.

A meeting stores the fingerprint of its preset when it is published (the notice). At the close the
fingerprint is computed again: if the preset's thresholds changed in between (a software upgrade,
a redefined preset), the meeting is not decided under rules its notice did not announce.

The fingerprint covers everything that decides (matter classes, gates, the area term and any
parameter a preset gains later), not the display names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from vote.rules.presets import Preset, resolve_rule

# Labels only: renaming a preset does not change how it decides.
_NOT_DECISIVE = frozenset({"name_zh", "name_en"})


def _canonical(value: Any) -> Any:
    """Plain JSON data for a preset's parts: dataclasses as objects, mappings with string keys, tuples as lists."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value) if f.name not in _NOT_DECISIVE}
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_canonical(item) for item in value]
    return value


def preset_document(rule: str | Preset) -> str:
    """The canonical JSON text the fingerprint is taken of (sorted keys, no spaces)."""
    return json.dumps(_canonical(resolve_rule(rule)), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def preset_hash(rule: str | Preset) -> str:
    """The SHA-256 (hex) of the preset's canonical JSON; raises ``UnknownRule`` for an unknown id."""
    return hashlib.sha256(preset_document(rule).encode()).hexdigest()
