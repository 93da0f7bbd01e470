"""The in-app notification list and the delivery preferences, for every logged-in account."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from vote.domain.accounts.guards import requires_login
from vote.domain.accounts.sessions import AuthContext
from vote.domain.meetings.services import local_time
from vote.domain.notifications.schemas import PreferencesForm
from vote.domain.notifications.services import NotificationService, event_text, kind_label
from vote.lib.clock import Clock
from vote.lib.errors import UserError


class NotificationController(Controller):
    """``/notifications``: list, open, mark read, preferences."""

    path = "/notifications"
    guards = [requires_login]

    @get("/", name="notifications")
    async def list_page(
        self,
        auth: NamedDependency[AuthContext | None],
        notification_service: NamedDependency[NotificationService],
        page: FromQuery[int] = 1,
    ) -> Template:
        """The account's notifications, newest first, with the unread count."""
        assert auth is not None
        result = await notification_service.page(auth.account_id, page)
        return Template("notifications/list.html", context={
            "result": result, "kind_label": kind_label, "event_text": event_text, "local_time": local_time,
        })

    @post("/{notification_id:int}/open", status_code=303)
    async def open(
        self,
        notification_id: FromPath[int],
        auth: NamedDependency[AuthContext | None],
        notification_service: NamedDependency[NotificationService],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """Mark the notification read and go where it points."""
        assert auth is not None
        target = await notification_service.open(auth.account_id, notification_id, clock.now())
        return Redirect(path=target, status_code=303)

    @post("/read-all", status_code=303)
    async def read_all(
        self,
        auth: NamedDependency[AuthContext | None],
        notification_service: NamedDependency[NotificationService],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """Mark every notification read."""
        assert auth is not None
        await notification_service.mark_all_read(auth.account_id, clock.now())
        return Redirect(path="/notifications", status_code=303)

    @get("/settings", name="notification_settings")
    async def settings_page(
        self, auth: NamedDependency[AuthContext | None], notification_service: NamedDependency[NotificationService]
    ) -> Template:
        """Where notifications are delivered besides the app."""
        assert auth is not None
        preferences = await notification_service.preferences(auth.account_id)
        return Template("notifications/settings.html", context={"preferences": preferences, "email": preferences.email,
                                                                "error": None, "saved": False})

    @post("/settings", status_code=200)
    async def save_settings(
        self,
        data: Annotated[PreferencesForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        auth: NamedDependency[AuthContext | None],
        notification_service: NamedDependency[NotificationService],
        clock: NamedDependency[Clock],
    ) -> Template:
        """Save the preferences; a malformed address is shown again with the error."""
        assert auth is not None
        try:
            preferences = await notification_service.save_preferences(
                auth.account_id, data.email, data.sms == "on", clock.now()
            )
        except UserError as error:
            preferences = await notification_service.preferences(auth.account_id)
            return Template("notifications/settings.html", status_code=error.status_code, context={
                "preferences": preferences, "email": data.email, "error": error.detail, "saved": False,
            })
        return Template("notifications/settings.html", context={"preferences": preferences,
                                                                "email": preferences.email,
                                                                "error": None, "saved": True})
