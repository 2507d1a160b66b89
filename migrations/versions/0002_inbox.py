"""Referral inbox and lifecycle: reminders, appointment details, inbox indexes

Adds reminder_sent (idempotent reminders and nudges), appointment.remote_details and
appointment.replaces_id (rescheduling keeps the old appointment), and the indexes the
inbox and the reminder sweep need at a million referrals.

Revision ID: 0002_inbox
Revises: 0001
Create Date: 2026-11-23 13:34:30.305136

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_inbox'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_sent',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_reminder_sent_appointment_id_appointment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_reminder_sent_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sent')),
    sa.UniqueConstraint('kind', 'referral_id', 'appointment_id', name=op.f('uq_reminder_sent_kind'), postgresql_nulls_not_distinct=True)
    )
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_sent_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_details', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appointment_replaces_id_appointment'), 'appointment', ['replaces_id'], ['id'])

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_awaiting_response', ['sent_at'], unique=False, postgresql_where=sa.text("state = 'sent'"))
        batch_op.create_index('ix_referral_organisation_sent', ['organisation_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_referral_service_state', ['service_id', 'state', 'sent_at'], unique=False)



def downgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_service_state')
        batch_op.drop_index('ix_referral_organisation_sent')
        batch_op.drop_index('ix_referral_awaiting_response', postgresql_where=sa.text("state = 'sent'"))

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointment_replaces_id_appointment'), type_='foreignkey')
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('remote_details')

    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_sent_referral_id'))

    op.drop_table('reminder_sent')
