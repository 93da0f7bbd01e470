"""Fixtures of the meetings and ballots tests: a voting community and logged-in clients per account."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import BASE_URL
from tests.support.factories import Credentials, VotingWorld, create_voting_world, log_in

Login = Callable[..., Awaitable[AsyncTestClient]]


@pytest.fixture
async def world(app: Litestar) -> VotingWorld:
    """Community "garden": 9 flats in 1号楼, three committee members, an observer, three owner accounts."""
    return await create_voting_world(app)


@pytest.fixture
async def login(app: Litestar) -> AsyncIterator[Login]:
    """Open a client of its own for an account, logged in with the TOTP code of the app clock's time."""
    async with AsyncExitStack() as stack:

        async def open_client(creds: Credentials, code: str | None = None) -> AsyncTestClient:
            client = await stack.enter_async_context(AsyncTestClient(app=app, base_url=BASE_URL))
            await log_in(client, creds, at=app.state.clock.now(), code=code)
            return client

        yield open_client
