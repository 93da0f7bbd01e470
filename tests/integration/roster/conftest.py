"""Register import tests: a community with a logged-in committee member (``garden``)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.integration.roster.register_files import Garden
from tests.support.factories import create_account, create_community, log_in


@pytest.fixture
async def garden(app: Litestar, client: AsyncTestClient) -> Garden:
    """Community "garden" with one committee member, logged in."""
    community_id = await create_community(app, slug="garden")
    committee = await create_account(app, "committee1", community_id=community_id, roles=("committee",))
    await log_in(client, committee)
    return Garden(community_id, "garden", committee, client)
