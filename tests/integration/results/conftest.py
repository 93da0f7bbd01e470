"""Fixtures of the results tests: logged-in clients per role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import BASE_URL
from tests.support.factories import Credentials, log_in

Login = Callable[[Credentials], Awaitable[AsyncTestClient]]


@pytest.fixture
async def login(app: Litestar) -> AsyncIterator[Login]:
    """Log an account in on a client of its own (password + TOTP), closed at the end of the test.

    The code is taken at the app clock's time, so a test that moved the clock forward can log in.
    """
    async with AsyncExitStack() as stack:

        async def logged_in(creds: Credentials) -> AsyncTestClient:
            client = await stack.enter_async_context(AsyncTestClient(app=app, base_url=BASE_URL))
            await log_in(client, creds, at=app.state.clock.now())
            return client

        yield logged_in
