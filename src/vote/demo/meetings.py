"""Demo meetings: a published notice (voting opens after the notice period, or at once with the demo
button) with an ordinary matter, a special matter and an election; and a draft for the committee.

Everything goes through the real services, approvals included, so the demo shows the real flow.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vote.config import Settings
from vote.db.engine import Database
from vote.db.models import Account, Community
from vote.demo.seed import DEMO_SLUG
from vote.domain.meetings.schemas import MeetingForm, MotionForm
from vote.domain.meetings.services import LOCAL_TZ, MeetingService, local_input
from vote.lib.clock import Clock

NOTICED_MOTIONS = (
    MotionForm(
        title="续聘示范物业服务有限公司",
        body_md="业委会提议续聘**示范物业服务有限公司**，合同期三年，物业费标准不变。\n\n"
                "- 服务内容：保洁、绿化、秩序维护、共用设施设备维护\n- 合同全文可在业委会办公室查阅",
        matter="4",
    ),
    MotionForm(
        title="筹集维修资金用于外墙修缮",
        body_md="按专有部分面积每平方米 **20 元** 一次性筹集维修资金，用于 1 号楼、2 号楼外墙修缮。",
        matter="6",
    ),
    MotionForm(
        title="增补业主委员会委员",
        body_md="增补两名业委会委员。候选人简历张贴于各楼栋公告栏。",
        matter="3", kind="election", seats="2", candidates="陈明\n刘芳\n赵磊",
    ),
)
DRAFT_MOTIONS = (
    MotionForm(
        title="在地下车库入口设置快递柜",
        body_md="利用共有部分设置快递柜，收益归全体业主共有，计入公共收益账户。",
        matter="8",
    ),
)


def _window(now: datetime, notice_days: int, start_in_days: int, length_days: int) -> tuple[str, str]:
    start = (now + timedelta(days=max(notice_days + 1, start_in_days))).astimezone(LOCAL_TZ)
    start = start.replace(hour=9, minute=0, second=0, microsecond=0)
    return local_input(start), local_input(start + timedelta(days=length_days))


async def _draft(service: MeetingService, community: Community, title: str, motions: tuple[MotionForm, ...],
                 actor_id: int, now: datetime, *, start_in_days: int) -> int:
    opens_at, closes_at = _window(now, community.notice_days, start_in_days, max(7, community.voting_days_min))
    meeting = await service.create_meeting(
        community, MeetingForm(title=title, opens_at=opens_at, closes_at=closes_at), actor_id, now
    )
    for motion in motions:
        await service.add_motion(community, meeting.id, motion, actor_id, now)
    return meeting.id


async def seed_demo_meetings_in(db: AsyncSession, now: datetime) -> None:
    """Create the demo meetings in the demo community (committee1 and committee2 approve the notice)."""
    community = (await db.execute(select(Community).where(Community.slug == DEMO_SLUG))).scalar_one()
    committee = dict(
        (await db.execute(select(Account.login, Account.id).where(Account.login.in_(("committee1", "committee2")))))
        .all()
    )
    await db.commit()
    service = MeetingService(db)
    noticed = await _draft(service, community, "2026 年第一次业主大会会议", NOTICED_MOTIONS, committee["committee1"],
                           now, start_in_days=community.notice_days + 1)
    for login in ("committee1", "committee2"):
        await service.approve_publication(community, noticed, committee[login], now)
    await _draft(service, community, "关于设置快递柜的业主大会会议（草稿）", DRAFT_MOTIONS, committee["committee1"], now,
                 start_in_days=community.notice_days + 10)


async def seed_demo_meetings(settings: Settings, clock: Clock | None = None) -> None:
    """Seed the demo meetings into the (already seeded) demo database of ``settings``."""
    database = Database.from_settings(settings)
    try:
        async with database.sessionmaker() as db:
            await seed_demo_meetings_in(db, (clock or Clock()).now())
    finally:
        await database.dispose()
