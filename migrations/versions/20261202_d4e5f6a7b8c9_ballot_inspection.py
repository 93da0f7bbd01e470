"""ballot inspection replaces the disclosure of voting units

The public result no longer lists which units voted (its complement names who did not), so
``community.disclose_voting_units`` has nothing left to control. Per-unit choices are now shown only
after the final result, to the community's owners, committee and observers, unless the community
closes that inspection: ``community.ballot_inspection``. A community that chose not to disclose
which units voted keeps the more private choice: its inspection starts closed.

Revision ID: d4e5f6a7b8c9
Revises: f1a2b3c4d5e6
Create Date: 2026-12-02 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd4e5f6a7b8c9'
down_revision: str | None = 'f1a2b3c4d5e6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_inspection', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute("UPDATE community SET ballot_inspection = disclose_voting_units")
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.alter_column('ballot_inspection', server_default=None)
        batch_op.drop_column('disclose_voting_units')


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disclose_voting_units', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute("UPDATE community SET disclose_voting_units = ballot_inspection")
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.alter_column('disclose_voting_units', server_default=None)
        batch_op.drop_column('ballot_inspection')
