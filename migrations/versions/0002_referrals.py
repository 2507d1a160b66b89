"""People and assessments for matching and one-click referral

Adds what the needs assessment and the referral confirmation need: the person's contact
preference and whether their offences are known, the "cannot take part remotely"
constraint, when consent was recorded, and at most one draft assessment per person.

Revision ID: 0002_referrals
Revises: 0002_search
Create Date: 2026-11-23 13:34:37.240530

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002_referrals"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("needs_assessment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("no_remote", sa.Boolean(), server_default="false", nullable=False)
        )
        batch_op.add_column(
            sa.Column("consent_recorded_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_check_constraint(
            "remote_only_or_no_remote", "NOT (remote_only AND no_remote)"
        )
        batch_op.create_index(
            "uq_needs_assessment_one_draft",
            ["person_id"],
            unique=True,
            postgresql_where=sa.text("status = 'draft'"),
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("offences_known", sa.Boolean(), server_default="true", nullable=False)
        )
        batch_op.add_column(
            sa.Column("contact_preference", sa.String(length=200), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("contact_preference")
        batch_op.drop_column("offences_known")

    with op.batch_alter_table("needs_assessment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_needs_assessment_one_draft", postgresql_where=sa.text("status = 'draft'")
        )
        batch_op.drop_constraint("remote_only_or_no_remote", type_="check")
        batch_op.drop_column("consent_recorded_at")
        batch_op.drop_column("no_remote")
