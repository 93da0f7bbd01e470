"""The committee's register pages: overview, import with preview and confirmation, members, export."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Community
from vote.domain.accounts.sessions import AuthContext
from vote.domain.ballots.transfers import transfer_lines
from vote.domain.communities.guards import community_for
from vote.domain.roster.importer import column_labels
from vote.domain.roster.queries import RegisterQueries
from vote.domain.roster.records import kind_labels, source_labels
from vote.domain.roster.schemas import UploadForm
from vote.domain.roster.services import RosterService
from vote.lib.clock import Clock

COMMITTEE = "committee"


def _context(community: Community, **values: Any) -> dict[str, Any]:
    """Every register page gets the community and the labels of unit types, sources and columns."""
    return {"community": community, "kind_labels": kind_labels(), "source_labels": source_labels(),
            "column_labels": column_labels(), **values}


class RosterController(Controller):
    """``/c/{slug}/register``: committee members only."""

    path = "/c/{slug:str}/register"

    @get("", name="register")
    async def overview(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        register_queries: NamedDependency[RegisterQueries], clock: NamedDependency[Clock],
        created: FromQuery[int | None] = None,
    ) -> Template:
        """The current register's figures, its version history, imports awaiting confirmation and the title
        changes of meetings in voting."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        overview = await register_queries.overview(community.id, community.parking_counts)
        transfers = await transfer_lines(db_session, community, in_voting_at=clock.now())
        return Template("roster/overview.html", context=_context(community, overview=overview, created=created,
                                                                 transfers=transfers))

    @get("/import", name="register_import")
    async def import_form(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
    ) -> Template:
        """The upload form with the documented columns."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        return Template("roster/import.html", context=_context(community, issues=[], source_name=""))

    @post("/import", status_code=303)
    async def upload(
        self,
        slug: FromPath[str],
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None],
        roster_service: NamedDependency[RosterService],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """Check the file; show every problem, or go to the preview of the pending import."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        content = await data.file.read() if data.file is not None else b""
        source_name = data.file.filename if data.file is not None else ""
        staged = await roster_service.stage_import(
            community, source_name, content, actor_account_id=auth.account_id, now=clock.now()
        )
        if staged.issues:
            return Template("roster/import.html", context=_context(community, issues=staged.issues,
                                                                   source_name=source_name), status_code=422)
        return Redirect(path=f"/c/{slug}/register/imports/{staged.import_id}", status_code=303)

    @get("/imports/{import_id:int}", name="register_preview")
    async def preview(
        self, slug: FromPath[str], import_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], register_queries: NamedDependency[RegisterQueries],
    ) -> Template:
        """The preview of an import: figures, members, diff against the current version."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        staged = await register_queries.staged_import(community.id, import_id)
        return Template("roster/preview.html", context=_context(community, staged=staged, summary=staged.summary))

    @post("/imports/{import_id:int}/confirm", status_code=303)
    async def confirm(
        self, slug: FromPath[str], import_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], roster_service: NamedDependency[RosterService],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """Create the next register version from the pending import."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        version = await roster_service.confirm_import(
            community, import_id, actor_account_id=auth.account_id, now=clock.now()
        )
        return Redirect(path=f"/c/{slug}/register?created={version.number}", status_code=303)

    @post("/imports/{import_id:int}/discard", status_code=303)
    async def discard(
        self, slug: FromPath[str], import_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], roster_service: NamedDependency[RosterService],
        clock: NamedDependency[Clock],
    ) -> Redirect:
        """Drop the pending import and return to the register."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        await roster_service.discard_import(community, import_id, actor_account_id=auth.account_id, now=clock.now())
        return Redirect(path=f"/c/{slug}/register", status_code=303)

    @get("/members", name="register_members")
    async def members(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        register_queries: NamedDependency[RegisterQueries], page: FromQuery[int] = 1, q: FromQuery[str] = "",
        version: FromQuery[int | None] = None,
    ) -> Template:
        """Members with their units, area, heads and voter status; names and phones masked."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        members_page = await register_queries.members_page(community.id, version, page, q)
        return Template("roster/members.html", context=_context(community, listing=members_page,
                                                                version_param=version))

    @get("/members/{member_id:int}", name="register_member")
    async def member(
        self, slug: FromPath[str], member_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], register_queries: NamedDependency[RegisterQueries],
    ) -> Template:
        """The verification screen of one member: full names and phones, for the committee only."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        detail = await register_queries.member_detail(community.id, member_id)
        return Template("roster/member.html", context=_context(community, detail=detail))

    @get("/export.csv", name="register_export")
    async def export(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        register_queries: NamedDependency[RegisterQueries],
    ) -> Response:
        """The current register as CSV: names and phones masked, ID numbers only as a masked last 4."""
        community = await community_for(db_session, slug, auth, COMMITTEE)
        export = await register_queries.export_csv(community.id, community.slug)
        return Response(
            content=export.content, media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{export.filename}"', "cache-control": "no-store"},
        )
