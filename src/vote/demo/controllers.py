"""The demo accounts page: logins and their current TOTP codes. Only routed in demo mode."""

from __future__ import annotations

from litestar.di import NamedDependency

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.db.models import Account
from vote.demo.seed import DEMO_PASSWORD
from vote.domain.accounts import totp
from vote.lib.clock import Clock


class DemoController(Controller):
    """Demo helpers; ``create_app`` adds this controller only when ``settings.demo_mode`` is on."""

    @get("/demo", name="demo_accounts")
    async def accounts(self, request: Request, db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock]) -> Template:
        """List demo logins with the code their authenticator would show now."""
        box = request.app.state.totp_box
        now = clock.now()
        rows = []
        for account in (await db_session.execute(select(Account).order_by(Account.id))).scalars():
            secret = box.open(account.totp_secret) if account.totp_secret else None
            if secret is None:
                continue
            step = int(now.timestamp()) // totp.STEP_SECONDS
            rows.append({"login": account.login, "code": totp.code_at(secret, step), "secret": secret})
        seconds_left = totp.STEP_SECONDS - int(now.timestamp()) % totp.STEP_SECONDS
        template = "demo/codes.html" if request.headers.get("hx-request") else "demo/accounts.html"
        return Template(template, context={"rows": rows, "password": DEMO_PASSWORD, "seconds_left": seconds_left})
