"""The public result page (公告), the receipt check, the totals download, the inspection of ballots
(page and ``vote tally`` download), the committee's final publication, and the audit log pages."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.accounts.sessions import AuthContext
from vote.domain.approvals.schemas import ConfirmForm
from vote.domain.communities.guards import community_for
from vote.domain.meetings.services import local_time
from vote.domain.results.ledger import deployment_key
from vote.domain.results.services import ResultService, TallyDownload
from vote.lib.clock import Clock
from vote.lib.http import is_htmx
from vote.lib.i18n import _
from vote.rules import (
    PRESETS,
    class_label,
    matter_label,
    outcome_label,
    threshold_summary,
)

# Label helpers for the templates (they render; the rules engine decides).
TEXT_HELPERS: dict[str, Any] = {
    "when": local_time,
    "matter_label": matter_label,
    "threshold_summary": threshold_summary,
    "outcome_label": outcome_label,
    "class_label": class_label,
    "presets": PRESETS,
}


def _roles(auth: AuthContext | None, community_id: int) -> list[str]:
    """The visitor's roles in the community (empty for anonymous visitors)."""
    return sorted(auth.roles.get(community_id, ())) if auth else []


def _held(auth: AuthContext | None, community_id: int) -> frozenset[str]:
    """The visitor's roles in the community as a set (what the inspection rule reads)."""
    return auth.roles.get(community_id, frozenset()) if auth else frozenset()


def _is_committee(auth: AuthContext | None, community_id: int) -> bool:
    """True for a committee member of the community (who may see who has voted, never how)."""
    return auth is not None and auth.has_role(community_id, "committee")


def _download(download: TallyDownload) -> Response:
    """A JSON file download."""
    return Response(
        content=download.body(),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{download.filename}"'},
    )


class ResultController(Controller):
    """A meeting's result: public, linkable and printable; final publication by the committee."""

    path = "/c/{slug:str}/meetings/{meeting_id:int}"

    @get("/result", name="meeting_result")
    async def result(
        self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], clock: NamedDependency[Clock],
        result_service: NamedDependency[ResultService],
    ) -> Template:
        """The result announcement, "not closed yet" or "counting in progress"; reading never closes a meeting."""
        community = await community_for(db_session, slug, auth)
        page = await result_service.page(community, meeting_id, clock.now(), auth.account_id if auth else None,
                                         _held(auth, community.id))
        return Template("results/result.html", context={
            "community": community, "page": page, "roles": _roles(auth, community.id),
            "ledger_key": await deployment_key(db_session), **TEXT_HELPERS,
        })

    @get("/result/receipt", name="result_receipt")
    async def receipt(
        self, request: Request, slug: FromPath[str], meeting_id: FromPath[int],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        clock: NamedDependency[Clock], result_service: NamedDependency[ResultService], code: FromQuery[str] = "",
    ) -> Template:
        """Check a receipt code: which motion, which choice, when, and whether it was counted."""
        community = await community_for(db_session, slug, auth)
        meeting, check = await result_service.check_receipt(community, meeting_id, code[:64], clock.now())
        template = "results/_receipt_answer.html" if is_htmx(request) else "results/receipt.html"
        return Template(template, context={
            "community": community, "meeting": meeting, "code": code[:64], "check": check, **TEXT_HELPERS,
        })

    @get("/result/ballots", name="result_ballots", cache=False)
    async def ballots(
        self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], clock: NamedDependency[Clock],
        result_service: NamedDependency[ResultService],
    ) -> Template:
        """Each unit's choice, for the community's owners, committee and observers after the final result."""
        community = await community_for(db_session, slug, auth)
        meeting, motions = await result_service.ballots(community, meeting_id, _held(auth, community.id),
                                                        clock.now())
        return Template("results/ballots.html", context={
            "community": community, "meeting": meeting, "motions": motions, **TEXT_HELPERS,
        })

    @get("/motions/{motion_id:int}/totals.json", name="motion_totals_download", cache=False)
    async def totals_download(
        self, slug: FromPath[str], meeting_id: FromPath[int], motion_id: FromPath[int],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        clock: NamedDependency[Clock], result_service: NamedDependency[ResultService],
    ) -> Response:
        """A decided motion's totals (``vote tally`` checks them gate by gate): public, nothing per unit."""
        community = await community_for(db_session, slug, auth)
        return _download(await result_service.totals_download(community, meeting_id, motion_id, clock.now()))

    @get("/motions/{motion_id:int}/result.json", name="motion_tally_download", cache=False)
    async def motion_download(
        self, slug: FromPath[str], meeting_id: FromPath[int], motion_id: FromPath[int],
        db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
        clock: NamedDependency[Clock], result_service: NamedDependency[ResultService],
    ) -> Response:
        """A decided motion as a ``vote tally`` unit scenario, for inspection after the final result."""
        community = await community_for(db_session, slug, auth)
        return _download(await result_service.tally_download(community, meeting_id, motion_id,
                                                             _held(auth, community.id), clock.now()))

    @post("/result/approve", name="result_approve_final", status_code=303)
    async def approve(
        self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], clock: NamedDependency[Clock],
        result_service: NamedDependency[ResultService],
        data: Annotated[ConfirmForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        """A committee member approves publishing the final result, after the confirmation page.

        Refused during the objection period; the approval that reaches the committee's majority publishes.
        """
        community = await community_for(db_session, slug, auth, "committee")
        assert auth is not None  # community_for with a role refuses anonymous visitors
        if not data.confirmed:
            meeting, approvals = await result_service.final_approvals(community, meeting_id, clock.now(),
                                                                      auth.account_id)
            if approvals.objection_over and meeting.status == "preliminary":
                base = f"/c/{slug}/meetings/{meeting_id}"
                return Template("approvals/confirm.html", status_code=200, context={
                    "community": community, "status": approvals.status, "account_id": auth.account_id,
                    "heading": _("Approve publishing the final result"), "subject_title": meeting.title,
                    "back": f"{base}/result#final", "action": f"{base}/result/approve",
                    "consequence": _("the result becomes final and is announced to every owner."),
                })
        await result_service.approve_final(community, meeting_id, auth.account_id, clock.now())
        return Redirect(path=f"/c/{slug}/meetings/{meeting_id}/result#final", status_code=303)

    @get("/audit", name="meeting_audit")
    async def audit(
        self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], result_service: NamedDependency[ResultService],
        before: FromQuery[int | None] = None,
    ) -> Template:
        """The meeting's audit log, read-only, for observers and the committee."""
        community = await community_for(db_session, slug, auth, "observer", "committee")
        meeting, log = await result_service.audit_log(community, meeting_id, before,
                                                      committee=_is_committee(auth, community.id))
        return Template("results/audit.html", context={
            "community": community, "meeting": meeting, "log": log, **TEXT_HELPERS,
        })


class AuditController(Controller):
    """The community's audit log, read-only, for observers and the committee."""

    @get("/c/{slug:str}/audit", name="community_audit")
    async def audit(
        self, slug: FromPath[str], db_session: NamedDependency[AsyncSession],
        auth: NamedDependency[AuthContext | None], result_service: NamedDependency[ResultService],
        before: FromQuery[int | None] = None,
    ) -> Template:
        """Every audit entry of the community, newest first, with the hash chain's verification."""
        community = await community_for(db_session, slug, auth, "observer", "committee")
        meeting, log = await result_service.audit_log(community, None, before,
                                                      committee=_is_committee(auth, community.id))
        return Template("results/audit.html", context={
            "community": community, "meeting": meeting, "log": log, **TEXT_HELPERS,
        })
