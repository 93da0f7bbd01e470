"""The composition root: ``create_app(settings)`` builds every piece of the web app."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.logging import LoggingConfig
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from vote.config import Settings, get_settings, project_path
from vote.db.engine import Database
from vote.domain.accounts.controllers import AccountController
from vote.domain.accounts.deps import provide_account_service, provide_auth
from vote.domain.accounts.services import IpLimiter
from vote.domain.accounts.sessions import session_middleware
from vote.domain.activation.controllers import ActivationController, CommitteeActivationController
from vote.domain.activation.deps import (
    provide_activation_service,
    provide_letter_service,
    provide_verification_service,
)
from vote.domain.ballots.controllers import BallotController
from vote.domain.ballots.deps import provide_ballot_service
from vote.domain.communities.deps import provide_community_service
from vote.domain.deliberation.controllers import DiscussionController, ProposalController
from vote.domain.deliberation.deps import (
    provide_amendment_service,
    provide_discussion_service,
    provide_proposal_service,
)
from vote.domain.meetings.controllers import MeetingController
from vote.domain.meetings.deps import provide_meeting_service
from vote.domain.notifications.controllers import NotificationController
from vote.domain.notifications.deps import provide_delivery, provide_notification_service
from vote.domain.operator.controllers import OperatorController
from vote.domain.operator.deps import provide_community_admin
from vote.domain.public.controllers import PublicController
from vote.domain.results.controllers import AuditController, ResultController
from vote.domain.results.ledger_controllers import KeyController, LedgerController
from vote.domain.results.deps import provide_ledger_service, provide_result_service
from vote.domain.results.scheduler import ClosingScheduler
from vote.domain.roster.controllers import RosterController
from vote.domain.roster.deps import provide_register_queries, provide_roster_service
from vote.lib.clock import Clock
from vote.lib.crypto import SecretBox
from vote.lib.deps import provide_clock, provide_db_session, provide_settings
from vote.lib.errors import http_exception_handler, internal_error_handler
from vote.lib.i18n import language_middleware
from vote.lib.security import security_headers_middleware
from vote.lib.templating import template_engine

STATIC_DIR = Path(__file__).resolve().parent / "static"
CSRF_COOKIE = "vote_csrf"
CSRF_HEADER = "x-csrftoken"


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the Litestar app for ``settings`` (read from the environment when omitted)."""
    settings = settings or get_settings()
    db = Database.from_settings(settings)
    clock = Clock(offset=timedelta(seconds=settings.clock_offset_seconds))
    # Closing is a job, never a side effect of a page: due meetings close here (and from cron).
    closing = ClosingScheduler(db.sessionmaker, clock, settings.close_due_interval_seconds or 0)
    state = State(
        {
            "settings": settings,
            "db": db,
            "clock": clock,
            "closing": closing,
            "totp_box": SecretBox(settings.secret_key, "totp"),
            "login_limiter": IpLimiter(),
        }
    )
    route_handlers: list = [
        PublicController,
        AccountController,
        ActivationController,
        CommitteeActivationController,
        MeetingController,
        BallotController,
        ResultController,
        AuditController,
        LedgerController,
        KeyController,
        RosterController,
        OperatorController,
        DiscussionController,
        ProposalController,
        NotificationController,
        create_static_files_router(path="/static", directories=[STATIC_DIR], cache_control=None, name="static"),
    ]
    if settings.demo_mode:
        from vote.demo.controllers import DemoController

        route_handlers.append(DemoController)
    app = Litestar(
        route_handlers=route_handlers,
        dependencies={
            "db_session": Provide(provide_db_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "clock": Provide(provide_clock, sync_to_thread=False),
            "auth": Provide(provide_auth, sync_to_thread=False),
            "account_service": Provide(provide_account_service, sync_to_thread=False),
            "community_service": Provide(provide_community_service, sync_to_thread=False),
            "activation_service": Provide(provide_activation_service, sync_to_thread=False),
            "letter_service": Provide(provide_letter_service, sync_to_thread=False),
            "verification_service": Provide(provide_verification_service, sync_to_thread=False),
            "meeting_service": Provide(provide_meeting_service, sync_to_thread=False),
            "ballot_service": Provide(provide_ballot_service, sync_to_thread=False),
            "result_service": Provide(provide_result_service, sync_to_thread=False),
            "ledger_service": Provide(provide_ledger_service, sync_to_thread=False),
            "roster_service": Provide(provide_roster_service, sync_to_thread=False),
            "register_queries": Provide(provide_register_queries, sync_to_thread=False),
            "community_admin": Provide(provide_community_admin, sync_to_thread=False),
            "discussion_service": Provide(provide_discussion_service, sync_to_thread=False),
            "amendment_service": Provide(provide_amendment_service, sync_to_thread=False),
            "proposal_service": Provide(provide_proposal_service, sync_to_thread=False),
            "notification_service": Provide(provide_notification_service, sync_to_thread=False),
            "delivery": Provide(provide_delivery, sync_to_thread=False),
        },
        template_config=TemplateConfig(instance=template_engine(project_path("templates"))),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
            header_name=CSRF_HEADER,
            exclude=[r"^/healthz$"],
        ),
        exception_handlers={HTTPException: http_exception_handler, Exception: internal_error_handler},
        logging_config=LoggingConfig(
            root={"level": settings.log_level, "handlers": ["queue_listener"]},
        ),
        on_startup=[closing.start] if settings.close_due_interval_seconds else [],
        on_shutdown=[closing.stop, db.dispose],
        state=state,
        debug=False,
        openapi_config=None,  # no API docs: they would load scripts from a CDN
    )
    # Wrapped around the whole ASGI handler, not per route, so that unmatched routes (404, 405)
    # get the security headers, the visitor's language and the login state too.
    app.asgi_handler = security_headers_middleware(language_middleware(session_middleware(app.asgi_handler)))
    return app


logging.getLogger("vote").addHandler(logging.NullHandler())
