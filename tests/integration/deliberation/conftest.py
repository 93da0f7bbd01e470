"""Fixtures of the deliberation tests: the voting community and per-account clients of the meetings tests,
and a motion in its notice period."""

from __future__ import annotations

import pytest
from litestar import Litestar

from tests.integration.meetings.conftest import login, world  # noqa: F401 - shared fixtures
from tests.support.factories import VotingWorld, create_discussed_motion

MOTION_TEXT = "更换小区大门。\n\n预算 **十万元**，由维修资金支付。"


@pytest.fixture
async def motion_id(app: Litestar, world: VotingWorld) -> int:  # noqa: F811 - the shared fixture
    """A motion of a published meeting whose voting opens in ten days (its notice period)."""
    return await create_discussed_motion(app, world.community_id, world.register_version_id, body_md=MOTION_TEXT)
