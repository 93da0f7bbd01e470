"""The ledger over HTTP: the downloads ``vote verify`` reads, the observers' checkpoint page, the receipt
check's JSON answer with its inclusion proof, the deployment's public key, and the owners' page on how
to check a ballot."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from vote.domain.accounts.sessions import AuthContext
from vote.domain.communities.guards import community_for
from vote.domain.meetings.services import local_time
from vote.domain.results.ledger import JsonDownload, LedgerService, deployment_key
from vote.lib.clock import Clock
from vote.lib.errors import UserError
from vote.lib.i18n import _


def _json(download: JsonDownload) -> Response:
    """A JSON file download."""
    return Response(content=download.body(), media_type="application/json",
                    headers={"content-disposition": f'attachment; filename="{download.filename}"'})


def _held(auth: AuthContext | None, community_id: int) -> frozenset[str]:
    return auth.roles.get(community_id, frozenset()) if auth else frozenset()


class LedgerController(Controller):
    """A meeting's ballot ledger: downloads (public, or for inspectors) and the checkpoint page."""

    path = "/c/{slug:str}/meetings/{meeting_id:int}"

    @get("/ledger/checkpoints.json", name="ledger_checkpoints", cache=False)
    async def checkpoints(self, slug: FromPath[str], meeting_id: FromPath[int],
                          db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                          clock: NamedDependency[Clock], ledger_service: NamedDependency[LedgerService]) -> Response:
        """Every signed checkpoint of the meeting's log (public)."""
        community = await community_for(db_session, slug, auth)
        return _json(await ledger_service.checkpoints_download(community, meeting_id, clock.now()))

    @get("/ledger/leaves.json", name="ledger_leaves", cache=False)
    async def leaves(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                     auth: NamedDependency[AuthContext | None], clock: NamedDependency[Clock],
                     ledger_service: NamedDependency[LedgerService]) -> Response:
        """The leaf hashes in log order (public: no choice, no member)."""
        community = await community_for(db_session, slug, auth)
        return _json(await ledger_service.leaves_download(community, meeting_id, clock.now()))

    @get("/ledger/openings.json", name="ledger_openings", cache=False)
    async def openings(self, slug: FromPath[str], meeting_id: FromPath[int],
                       db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                       clock: NamedDependency[Clock], ledger_service: NamedDependency[LedgerService]) -> Response:
        """Every leaf opened with its unit: for inspectors after the final result (404 otherwise)."""
        community = await community_for(db_session, slug, auth)
        return _json(await ledger_service.openings_download(community, meeting_id, _held(auth, community.id),
                                                            clock.now()))

    @get("/ledger", name="meeting_ledger", cache=False)
    async def page(self, slug: FromPath[str], meeting_id: FromPath[int], db_session: NamedDependency[AsyncSession],
                   auth: NamedDependency[AuthContext | None], clock: NamedDependency[Clock],
                   ledger_service: NamedDependency[LedgerService]) -> Template:
        """The meeting's signed checkpoints and the downloads, for observers and the committee."""
        community = await community_for(db_session, slug, auth, "observer", "committee")
        ledger_page = await ledger_service.ledger_page(community, meeting_id, clock.now())
        return Template("results/ledger.html", context={"community": community, "page": ledger_page,
                                                        "when": local_time})

    @get("/result/receipt.json", name="result_receipt_json", cache=False)
    async def receipt(self, slug: FromPath[str], meeting_id: FromPath[int],
                      db_session: NamedDependency[AsyncSession], auth: NamedDependency[AuthContext | None],
                      clock: NamedDependency[Clock], ledger_service: NamedDependency[LedgerService],
                      code: FromQuery[str] = "", receipt: FromQuery[str] = "") -> Response:
        """The receipt check as JSON: the leaf, its index and the inclusion proof against the final checkpoint.

        By receipt code (``code``) or by the ballot record printed on the receipt (``receipt``, its JSON).
        """
        community = await community_for(db_session, slug, auth)
        if receipt:
            found = await ledger_service.check_leaf(community, meeting_id, receipt[:2000], clock.now())
        elif code:
            _meeting, check = await ledger_service.check_receipt(community, meeting_id, code[:64], clock.now())
            if check is None:
                raise NotFoundException(_("No ballot with this receipt code was found in this meeting."))
            found = check.inclusion
        else:
            raise UserError(_("Please enter the receipt code you were given when you voted."), 400)
        if found is None:
            raise NotFoundException(_("This meeting has no signed final record of its ballots."))
        return Response(found.document(), media_type="application/json")


class KeyController(Controller):
    """The deployment's public key, and the owners' page on checking a ballot."""

    @get("/ledger/key", name="ledger_key", cache=False)
    async def key(self, clock: NamedDependency[Clock], ledger_service: NamedDependency[LedgerService]) -> Response:
        """The public key (hex) that signs every checkpoint of this deployment."""
        key = await ledger_service.ensure_key(clock.now())
        return Response(f"{key.hex}\n", media_type="text/plain")

    @get("/ledger/check", name="ledger_how_to_check")
    async def how_to_check(self, db_session: NamedDependency[AsyncSession]) -> Template:
        """How an owner checks their ballot, in plain words."""
        return Template("results/how_to_check.html", context={"key": await deployment_key(db_session)})
