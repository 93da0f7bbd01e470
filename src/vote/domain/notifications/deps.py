"""Dependency providers for notifications."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.domain.notifications.senders import senders_for
from vote.domain.notifications.services import Delivery, NotificationService


def provide_notification_service(db_session: NamedDependency[AsyncSession]) -> NotificationService:
    """A NotificationService bound to this request's session."""
    return NotificationService(db_session)


def provide_delivery(request: Request, settings: NamedDependency[Settings]) -> Delivery:
    """Outbox delivery on the app's own connection pool, for a response's background task."""
    state = request.app.state
    return Delivery(
        sessionmaker=state.db.sessionmaker,
        senders=senders_for(settings),
        base_url=settings.base_url,
        language=settings.default_language,
        clock=state.clock,
    )
