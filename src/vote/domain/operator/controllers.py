"""``/operator``: the platform operator's pages for communities, their settings and roles."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from vote.domain.accounts.guards import requires_operator
from vote.domain.accounts.sessions import AuthContext
from vote.domain.operator.schemas import CommunityForm, RoleForm
from vote.domain.operator.services import (
    GRANTABLE_ROLES,
    CommunityAdminService,
    FormErrors,
    form_for,
    preset_effects,
)
from vote.lib.clock import Clock
from vote.lib.i18n import current_language
from vote.rules import PRESETS

Form = RequestEncodingType.URL_ENCODED


def _form_context(**values: Any) -> dict[str, Any]:
    """Every operator page can offer the rule presets (with what each requires) and the grantable roles."""
    return {"presets": list(PRESETS.values()), "preset_effects": preset_effects(current_language.get()),
            "grantable_roles": GRANTABLE_ROLES, "errors": {}, "frozen_meetings": None, **values}


class OperatorController(Controller):
    """Platform operators only (``requires_operator``)."""

    path = "/operator"
    guards = [requires_operator]

    async def _community_page(
        self, service: CommunityAdminService, community_id: int, *, form: CommunityForm | None = None,
        role_form: RoleForm | None = None, errors: dict[str, str] | None = None, saved: bool = False,
        status_code: int = 200,
    ) -> Template:
        community = await service.community(community_id)
        return Template(
            "operator/community.html",
            context=_form_context(
                community=community, form=form or form_for(community), role_form=role_form or RoleForm(),
                roles=await service.roles(community_id), errors=errors or {}, saved=saved,
                frozen_meetings=await service.frozen_meetings(community_id),
            ),
            status_code=status_code,
        )

    @get("/communities", name="operator_communities")
    async def communities(self, community_admin: NamedDependency[CommunityAdminService]) -> Template:
        """Every community, and the form to create one."""
        return Template("operator/communities.html", context=_form_context(
            communities=await community_admin.communities(), form=CommunityForm()))

    @post("/communities", status_code=303)
    async def create(
        self, data: Annotated[CommunityForm, Body(media_type=Form)], auth: NamedDependency[AuthContext | None],
        community_admin: NamedDependency[CommunityAdminService], clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """Create a community, or show the form again with what was typed and what is wrong."""
        try:
            community = await community_admin.create(data, actor_account_id=auth.account_id, now=clock.now())
        except FormErrors as exc:
            return Template("operator/communities.html", context=_form_context(
                communities=await community_admin.communities(), form=data, errors=exc.errors), status_code=422)
        return Redirect(path=f"/operator/communities/{community.id}?saved=1", status_code=303)

    @get("/communities/{community_id:int}", name="operator_community")
    async def community(
        self, community_id: FromPath[int], community_admin: NamedDependency[CommunityAdminService],
        saved: FromQuery[bool] = False,
    ) -> Template:
        """A community's settings and roles."""
        return await self._community_page(community_admin, community_id, saved=saved)

    @post("/communities/{community_id:int}", status_code=303)
    async def update(
        self, community_id: FromPath[int], data: Annotated[CommunityForm, Body(media_type=Form)],
        auth: NamedDependency[AuthContext | None], community_admin: NamedDependency[CommunityAdminService],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """Save the settings, or show them again with the problems."""
        try:
            await community_admin.update(community_id, data, actor_account_id=auth.account_id, now=clock.now())
        except FormErrors as exc:
            return await self._community_page(community_admin, community_id, form=data, errors=exc.errors,
                                              status_code=422)
        return Redirect(path=f"/operator/communities/{community_id}?saved=1", status_code=303)

    @post("/communities/{community_id:int}/roles", status_code=303)
    async def grant(
        self, community_id: FromPath[int], data: Annotated[RoleForm, Body(media_type=Form)],
        auth: NamedDependency[AuthContext | None], community_admin: NamedDependency[CommunityAdminService],
        clock: NamedDependency[Clock],
    ) -> Template | Redirect:
        """Grant the committee or observer role to an account by its login."""
        try:
            await community_admin.grant(community_id, data, actor_account_id=auth.account_id, now=clock.now())
        except FormErrors as exc:
            return await self._community_page(community_admin, community_id, role_form=data,
                                              errors={f"role_{k}": v for k, v in exc.errors.items()},
                                              status_code=422)
        return Redirect(path=f"/operator/communities/{community_id}#roles", status_code=303)

    @post("/communities/{community_id:int}/roles/{role_id:int}/revoke", status_code=303)
    async def revoke(
        self, community_id: FromPath[int], role_id: FromPath[int], auth: NamedDependency[AuthContext | None],
        community_admin: NamedDependency[CommunityAdminService], clock: NamedDependency[Clock],
    ) -> Redirect:
        """Take back a committee or observer role."""
        await community_admin.revoke(community_id, role_id, actor_account_id=auth.account_id, now=clock.now())
        return Redirect(path=f"/operator/communities/{community_id}#roles", status_code=303)
