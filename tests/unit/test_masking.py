"""Masking of personal data."""

from __future__ import annotations

import pytest

from vote.lib.masking import mask_id_last4, mask_name, mask_phone


@pytest.mark.parametrize(("name", "masked"), [("张三", "张*"), ("张三丰", "张**"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("", "")])
def test_names_keep_only_the_family_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(("phone", "masked"), [("13812345678", "138****5678"), ("12345", "*****"), (None, "")])
def test_phones_keep_prefix_and_last_four(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_id_numbers_are_never_shown() -> None:
    assert mask_id_last4("123X").endswith("123X")
    assert mask_id_last4("123X").startswith("*")
