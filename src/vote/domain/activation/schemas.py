"""Form bodies of the activation pages; every field has a default so a missing one gets our message."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CodeForm:
    """Step 1: the code from the letter."""

    code: str = ""


@dataclass
class IdentityForm:
    """Step 2: name and last four characters of the ID number, checked against the register."""

    token: str = ""
    name: str = ""
    id_last4: str = ""


@dataclass
class CredentialsForm:
    """Step 3: login name and password."""

    token: str = ""
    login: str = ""
    password: str = ""
    password_again: str = ""


@dataclass
class TotpForm:
    """Step 4: a code from the freshly enrolled authenticator."""

    token: str = ""
    code: str = ""


@dataclass
class LettersForm:
    """Committee: which letters to generate."""

    valid_days: str = ""
    building_id: str = ""
    replace_valid: str = ""


@dataclass
class MemberLetterForm:
    """Committee: a replacement letter for one member."""

    valid_days: str = ""


@dataclass
class VerificationForm:
    """Committee: an owner showed these documents at the office (types only, never numbers)."""

    unit_id: str = ""
    person_id: str = ""
    # One ticked box arrives as a string, several as a list.
    documents: str | list[str] = field(default_factory=list)
    unit: str = ""

    @property
    def document_keys(self) -> list[str]:
        """The ticked document types, however many."""
        return [self.documents] if isinstance(self.documents, str) else list(self.documents)


@dataclass
class DecisionForm:
    """Committee: approve or reject a pending verification."""

    valid_days: str = ""
