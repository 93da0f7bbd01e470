"""The form of an approval: the button of a committee decision, sent again from its confirmation page."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ConfirmForm:
    """``confirm=yes`` once the member has seen the confirmation page (an approval cannot be taken back)."""

    confirm: str = ""

    @property
    def confirmed(self) -> bool:
        """The member confirmed on the confirmation page."""
        return self.confirm == "yes"
