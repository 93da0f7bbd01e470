"""Dependency providers for the activation area."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.domain.activation.journey import ActivationService
from vote.domain.activation.services import LetterService
from vote.domain.activation.verification import VerificationService


def provide_letter_service(db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]) -> LetterService:
    """A LetterService bound to this request's session."""
    return LetterService(db_session, settings)


def provide_activation_service(
    request: Request, db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
) -> ActivationService:
    """An ActivationService; wrong codes count against the same per-address limit as failed logins."""
    state = request.app.state
    return ActivationService(db_session, settings, state.totp_box, state.login_limiter)


def provide_verification_service(
    db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
) -> VerificationService:
    """A VerificationService bound to this request's session."""
    return VerificationService(db_session, settings)
