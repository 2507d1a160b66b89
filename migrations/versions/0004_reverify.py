"""Organisations: checked details changed since verification wait for an admin

Revision ID: 0004_reverify
Revises: 0003_inbox_speed
Create Date: 2026-11-23 16:40:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0004_reverify"
down_revision = "0003_inbox_speed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation") as batch_op:
        batch_op.add_column(
            sa.Column("changes_to_review", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
        )
        batch_op.add_column(
            sa.Column("changed_since_verified_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("organisation") as batch_op:
        batch_op.drop_column("changed_since_verified_at")
        batch_op.drop_column("changes_to_review")
