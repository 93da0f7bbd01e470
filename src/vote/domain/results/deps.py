"""Dependency providers for the results area."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.domain.results.ledger import LedgerService
from vote.domain.results.services import ResultService


def provide_result_service(
    db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
) -> ResultService:
    """A ResultService bound to this request's session (the secret keys the download's opaque ids)."""
    return ResultService(db_session, settings.secret_key)


def provide_ledger_service(
    db_session: NamedDependency[AsyncSession], settings: NamedDependency[Settings]
) -> LedgerService:
    """A LedgerService bound to this request's session."""
    return LedgerService(db_session, settings.secret_key)
