"""Inbox speed: indexes that match the inbox's sorts and its search by reference

For a provider (organisation_id) and for a referrer's agency (agency_id):
- ix_referral_*_by_state (owner, state, sent_at, id) replaces ix_referral_inbox and
  ix_referral_agency (owner, state, sent_at): the id breaks ties in the sort, so the page
  of a one-state tab is a range of the index with no sort at all, and the planner no
  longer prefers walking the date index past thousands of closed referrals to find the
  overdue ones.
- ix_referral_*_by_date (owner, sent_at, id) INCLUDE (state) replaces
  ix_referral_organisation_sent (organisation_id, sent_at): the "closed" and "all" tabs
  read their page, and skip to deep pages, in index order without visiting the table.
- ix_referral_reference_prefix (varchar_pattern_ops) lets "reference starts with" use an
  index whatever the database collation.

The indexes are built CONCURRENTLY, outside the migration's transaction, so that a
million-row referral table keeps taking writes while they build; each new index exists
before the one it replaces is dropped. If a build fails it leaves an INVALID index: drop
that index and run the upgrade again.

Revision ID: 0003_inbox_speed
Revises: 0002_referrals
Create Date: 2026-11-23 14:45:25.326957

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003_inbox_speed'
down_revision = '0002_referrals'
branch_labels = None
depends_on = None

NEW = [
    # (name, columns, include)
    ('ix_referral_inbox_by_state', ['organisation_id', 'state', 'sent_at', 'id'], None),
    ('ix_referral_inbox_by_date', ['organisation_id', 'sent_at', 'id'], ['state']),
    ('ix_referral_agency_by_state', ['agency_id', 'state', 'sent_at', 'id'], None),
    ('ix_referral_agency_by_date', ['agency_id', 'sent_at', 'id'], ['state']),
]
REPLACED = [
    ('ix_referral_inbox', ['organisation_id', 'state', 'sent_at']),
    ('ix_referral_agency', ['agency_id', 'state', 'sent_at']),
    ('ix_referral_organisation_sent', ['organisation_id', 'sent_at']),
]


def upgrade():
    with op.get_context().autocommit_block():
        for name, columns, include in NEW:
            op.create_index(
                name, 'referral', columns, unique=False, postgresql_include=include or [],
                postgresql_concurrently=True,
            )
        op.create_index(
            'ix_referral_reference_prefix', 'referral', ['reference'], unique=False,
            postgresql_ops={'reference': 'varchar_pattern_ops'}, postgresql_concurrently=True,
        )
        for name, _columns in REPLACED:
            op.drop_index(name, table_name='referral', postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        for name, columns in REPLACED:
            op.create_index(
                name, 'referral', columns, unique=False, postgresql_concurrently=True
            )
        op.drop_index(
            'ix_referral_reference_prefix', table_name='referral', postgresql_concurrently=True
        )
        for name, _columns, _include in NEW:
            op.drop_index(name, table_name='referral', postgresql_concurrently=True)
