"""Onboarding: Open Referral UK identifiers and the import report table

Revision ID: 0002_onboarding
Revises: 0002_inbox
Create Date: 2026-11-23 13:33:02.271693

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002_onboarding'
down_revision = '0002_inbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('oruk', 'csv', name='import_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('imported', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('problems', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('unmapped_terms', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_import_run_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_import_run_started_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_run'))
    )
    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_run_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oruk_id', sa.String(length=100), nullable=True))
        batch_op.create_index('uq_location_oruk_id', ['oruk_id'], unique=True)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oruk_id', sa.String(length=100), nullable=True))
        batch_op.create_index('uq_organisation_oruk_id', ['oruk_id'], unique=True)

    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oruk_id', sa.String(length=100), nullable=True))
        batch_op.create_index('uq_service_oruk_id', ['oruk_id'], unique=True)



def downgrade():
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index('uq_service_oruk_id')
        batch_op.drop_column('oruk_id')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('uq_organisation_oruk_id')
        batch_op.drop_column('oruk_id')

    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_index('uq_location_oruk_id')
        batch_op.drop_column('oruk_id')

    with op.batch_alter_table('import_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_run_organisation_id'))

    op.drop_table('import_run')
