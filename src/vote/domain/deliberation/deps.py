"""Dependency providers for deliberation."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.deliberation.proposals import ProposalService
from vote.domain.deliberation.services import AmendmentService, DiscussionService


def provide_discussion_service(db_session: NamedDependency[AsyncSession]) -> DiscussionService:
    """A DiscussionService bound to this request's session."""
    return DiscussionService(db_session)


def provide_amendment_service(db_session: NamedDependency[AsyncSession]) -> AmendmentService:
    """An AmendmentService bound to this request's session."""
    return AmendmentService(db_session)


def provide_proposal_service(db_session: NamedDependency[AsyncSession]) -> ProposalService:
    """A ProposalService bound to this request's session."""
    return ProposalService(db_session)
