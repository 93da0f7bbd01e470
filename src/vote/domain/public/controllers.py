"""Pages anyone may see: home, a community's public page, health, language switch, demo accounts."""

from __future__ import annotations

from litestar.di import NamedDependency

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import LANGUAGES, Settings
from vote.domain.accounts.sessions import AuthContext
from vote.domain.communities.services import CommunityService
from vote.domain.results.ledger import deployment_key
from vote.lib.http import safe_next
from vote.lib.i18n import LANGUAGE_COOKIE
from vote.rules import PRESETS

@dataclass
class LanguageForm:
    """The language switch form."""

    language: str = ""
    next: str = "/"


class PublicController(Controller):
    """Public pages."""

    @get("/", name="home")
    async def home(self, community_service: NamedDependency[CommunityService], auth: NamedDependency[AuthContext | None]) -> Template:
        """The front page: the communities on this deployment, and the visitor's own."""
        communities = await community_service.list_public()
        mine = [c for c in communities if auth and c.id in auth.roles]
        return Template("public/home.html", context={"communities": communities, "mine": mine})

    @get("/c/{slug:str}", name="community")
    async def community(self, slug: FromPath[str], community_service: NamedDependency[CommunityService],
                        auth: NamedDependency[AuthContext | None], db_session: NamedDependency[AsyncSession]) -> Template:
        """A community's public page: who decides by which rule, and the register's totals."""
        community = await community_service.by_slug(slug)
        if community is None:
            raise NotFoundException()
        version = await community_service.current_register(community.id)
        summary = await community_service.register_summary(version) if version else None
        preset = PRESETS.get(community.rule_preset)
        roles = sorted(auth.roles.get(community.id, ())) if auth else []
        return Template(
            "public/community.html",
            context={"community": community, "summary": summary, "preset": preset, "roles": roles,
                     "ledger_key": await deployment_key(db_session)},
        )

    @get("/healthz", name="healthz", cache=False)
    async def healthz(self, db_session: NamedDependency[AsyncSession]) -> Response:
        """Liveness and database reachability, for load balancers and monitoring."""
        try:
            await db_session.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any database failure means "not healthy"
            return Response({"status": "error", "database": "unreachable"}, status_code=503)
        return Response({"status": "ok", "database": "ok"})

    @post("/lang", name="set_language", status_code=303)
    async def set_language(
        self, data: Annotated[LanguageForm, Body(media_type=RequestEncodingType.URL_ENCODED)], settings: NamedDependency[Settings]
    ) -> Redirect:
        """Remember the chosen language in a cookie and go back where the visitor was."""
        response = Redirect(path=safe_next(data.next), status_code=303)
        if data.language in LANGUAGES:
            response.cookies.append(
                Cookie(key=LANGUAGE_COOKIE, value=data.language, path="/", max_age=365 * 24 * 3600,
                       httponly=True, secure=settings.secure_cookies, samesite="lax")
            )
        return response
