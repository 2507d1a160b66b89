"""Shared feedback on the service page, its moderation, and withdrawn compliance alerts

Revision ID: 0005_shared_feedback
Revises: 0004_search_speed
Create Date: 2026-11-25 10:00:00

* ``feedback.shared``: the author (a referrer or the person referred) chose to show their
  comment on the service's page; existing feedback was given without that choice, so it
  stays private (``false``).
* ``feedback.hidden_at``/``hidden_by_id``/``hidden_reason``: a platform admin hid a shared
  comment; the row is kept.
* ``compliance_alert.withdrawn_at``/``withdrawn_reason``: an undecided alert withdrawn
  because a corrected attendance brought the unexplained absences below the threshold.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_shared_feedback"
down_revision = "0004_search_speed"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("feedback") as batch_op:
        batch_op.add_column(
            sa.Column("shared", sa.Boolean(), server_default="false", nullable=False)
        )
        batch_op.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("hidden_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_feedback_hidden_by_id_user_account"),
            "user_account",
            ["hidden_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_feedback_shared_by_raters_with_comments"),
            "NOT shared OR (author_kind IN ('referrer', 'person') AND comments <> '')",
        )
        batch_op.create_check_constraint(
            op.f("ck_feedback_hidden_when_shared_with_reason"),
            "hidden_at IS NULL OR (shared AND hidden_reason IS NOT NULL)",
        )
        batch_op.create_index(
            "ix_feedback_shown_by_service",
            ["service_id", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("shared AND hidden_at IS NULL"),
        )
    with op.batch_alter_table("compliance_alert") as batch_op:
        batch_op.add_column(
            sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_compliance_alert_withdrawn_undecided_with_reason"),
            "withdrawn_at IS NULL OR (decision IS NULL AND withdrawn_reason IS NOT NULL)",
        )


def downgrade():
    with op.batch_alter_table("compliance_alert") as batch_op:
        batch_op.drop_constraint(
            op.f("ck_compliance_alert_withdrawn_undecided_with_reason"), type_="check"
        )
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("feedback") as batch_op:
        batch_op.drop_index(
            "ix_feedback_shown_by_service",
            postgresql_where=sa.text("shared AND hidden_at IS NULL"),
        )
        batch_op.drop_constraint(
            op.f("ck_feedback_hidden_when_shared_with_reason"), type_="check"
        )
        batch_op.drop_constraint(
            op.f("ck_feedback_shared_by_raters_with_comments"), type_="check"
        )
        batch_op.drop_constraint(
            op.f("fk_feedback_hidden_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("hidden_reason")
        batch_op.drop_column("hidden_by_id")
        batch_op.drop_column("hidden_at")
        batch_op.drop_column("shared")
