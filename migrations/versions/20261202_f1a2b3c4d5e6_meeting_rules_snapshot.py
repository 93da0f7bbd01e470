"""meeting rules snapshot: the preset (and its hash), parking, notice and objection days frozen at notice

A published meeting decides by the rules announced in its notice, not by the community's settings at
the close. Meetings published before this revision get the snapshot from what decided them: the
rule and parking setting stored with their results when they were already closed, else their
community's current settings (which were the settings at notice unless changed since).

Revision ID: f1a2b3c4d5e6
Revises: edd39110cde5
Create Date: 2026-12-02 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vote.rules.errors import UnknownRule
from vote.rules.fingerprint import preset_hash

revision: str = 'f1a2b3c4d5e6'
down_revision: str | None = 'edd39110cde5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROZEN_CHECK = (
    "status = 'draft' OR (rule_preset IS NOT NULL AND rule_hash IS NOT NULL AND parking_counts IS NOT NULL"
    " AND notice_days IS NOT NULL AND objection_days IS NOT NULL)"
)
UNKNOWN_RULE_HASH = "unknown-rule"  # closing refuses it: no preset of that id exists to hash


def _backfill() -> None:
    """Fill the snapshot of every published meeting (see the module docstring)."""
    connection = op.get_bind()
    meeting = sa.table('meeting', sa.column('id', sa.Integer), sa.column('community_id', sa.Integer),
                       sa.column('status', sa.String), sa.column('rule_preset', sa.String),
                       sa.column('rule_hash', sa.String), sa.column('parking_counts', sa.Boolean),
                       sa.column('notice_days', sa.Integer), sa.column('objection_days', sa.Integer))
    community = sa.table('community', sa.column('id', sa.Integer), sa.column('rule_preset', sa.String),
                         sa.column('parking_counts', sa.Boolean), sa.column('notice_days', sa.Integer),
                         sa.column('objection_days', sa.Integer))
    motion = sa.table('motion', sa.column('id', sa.Integer), sa.column('meeting_id', sa.Integer))
    result = sa.table('motion_result', sa.column('motion_id', sa.Integer), sa.column('rule_preset', sa.String),
                      sa.column('tally', sa.JSON))
    rows = connection.execute(
        sa.select(meeting.c.id, community.c.rule_preset, community.c.parking_counts, community.c.notice_days,
                  community.c.objection_days)
        .join(community, community.c.id == meeting.c.community_id)
        .where(meeting.c.status != 'draft')
    ).all()
    for meeting_id, rule, parking, notice_days, objection_days in rows:
        decided = connection.execute(
            sa.select(result.c.rule_preset, result.c.tally).join(motion, motion.c.id == result.c.motion_id)
            .where(motion.c.meeting_id == meeting_id).order_by(motion.c.id).limit(1)
        ).first()
        if decided is not None:
            rule = decided.rule_preset
            tally = decided.tally or {}
            if isinstance(tally.get('parking_counts'), bool):
                parking = tally['parking_counts']
        try:
            rule_hash = preset_hash(rule)
        except UnknownRule:
            rule_hash = UNKNOWN_RULE_HASH
        connection.execute(
            meeting.update().where(meeting.c.id == meeting_id).values(
                rule_preset=rule, rule_hash=rule_hash, parking_counts=parking, notice_days=notice_days,
                objection_days=objection_days,
            )
        )


def upgrade() -> None:
    """Apply this revision (on SQLite the check constraint copies the table: env.py turns foreign keys off)."""
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule_preset', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('rule_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('parking_counts', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('notice_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('objection_days', sa.Integer(), nullable=True))
    _backfill()
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_meeting_rules_frozen_when_published'), FROZEN_CHECK)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_meeting_rules_frozen_when_published'), type_='check')
        batch_op.drop_column('objection_days')
        batch_op.drop_column('notice_days')
        batch_op.drop_column('parking_counts')
        batch_op.drop_column('rule_hash')
        batch_op.drop_column('rule_preset')
