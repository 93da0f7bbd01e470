"""Forms of the notification pages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PreferencesForm:
    """E-mail address (blank: none) and whether text messages are wanted."""

    email: str = ""
    sms: str = ""
