"""Login and logout pages."""

from __future__ import annotations

from litestar.di import NamedDependency

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from vote.config import Settings
from vote.domain.accounts import sessions
from vote.domain.accounts.guards import requires_login
from vote.domain.accounts.services import AccountService, LoginOutcome
from vote.domain.accounts.sessions import AuthContext
from vote.lib.clock import Clock
from vote.lib.http import client_ip, safe_next
from vote.lib.i18n import _


@dataclass
class LoginForm:
    """The login form; every field is optional so that a missing one gets our own message."""

    login: str = ""
    password: str = ""
    code: str = ""
    next: str = "/"


class AccountController(Controller):
    """Log in, log out."""

    @get("/login", name="login")
    async def login_page(self, settings: NamedDependency[Settings], next: FromQuery[str] = "/") -> Template:
        """The login form."""
        return Template("accounts/login.html", context={"next": safe_next(next), "error": None,
                                                        "login": "", "demo": settings.demo_mode})

    @post("/login", status_code=303)
    async def login(
        self,
        request: Request,
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        account_service: NamedDependency[AccountService],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """Check the credentials; on success rotate the session id and go on to ``next``."""
        result = await account_service.login(
            data.login, data.password, data.code, client_ip(request), clock.now(),
            request.cookies.get(sessions.SESSION_COOKIE),
        )
        if result.outcome is LoginOutcome.OK and result.token:
            response = Redirect(path=safe_next(data.next), status_code=303)
            response.cookies.append(sessions.session_cookie(settings, result.token))
            return response
        if result.outcome is LoginOutcome.RATE_LIMITED:
            error, status = _("Too many failed attempts from this device. Please wait a few minutes."), 429
        else:
            error, status = _(
                "The login name, password or code is not correct, or the account is temporarily locked "
                "after repeated failures."
            ), 400
        return Template(
            "accounts/login.html",
            context={"next": safe_next(data.next), "error": error, "login": data.login, "demo": settings.demo_mode},
            status_code=status,
        )

    @post("/logout", guards=[requires_login], status_code=303)
    async def logout(
        self, request: Request, auth: NamedDependency[AuthContext | None], account_service: NamedDependency[AccountService], settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """End the session on the server and clear the cookie."""
        await account_service.logout(
            request.cookies.get(sessions.SESSION_COOKIE), auth.account_id if auth else None, clock.now()
        )
        response = Redirect(path="/", status_code=303)
        response.cookies.append(sessions.session_cookie(settings, "", expire=True))
        return response
