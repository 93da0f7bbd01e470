"""Masking of personal data for every public surface (PIPL): names, phones, ID numbers."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """Keep the first character (the family name): ``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧***``."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str:
    """``13812345678`` -> ``138****5678``; anything short is fully masked."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_last4(last4: str | None) -> str:
    """An ID number is never shown; at most its last four characters behind a mask."""
    return "**************" + (last4 or "****")
