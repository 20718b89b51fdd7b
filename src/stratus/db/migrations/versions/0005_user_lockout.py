"""user lockout counters

Keystone's ``[security_compliance]`` lockout keeps, per user, the number of failed password checks
in a row and the time of the last one (``local_user.failed_auth_count`` / ``failed_auth_at``).
Existing users start with no failures.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-14 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_auth_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "failed_auth_at",
                sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("failed_auth_at")
        batch_op.drop_column("failed_auth_count")
