"""Directory, referrals and supporting schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 13:20:46.314310

"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geography
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table('area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('country', 'region', 'police_force_area', 'local_authority', 'lsoa', name='area_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('centroid', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['area.id'], name=op.f('fk_area_parent_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area')),
    sa.UniqueConstraint('code', name=op.f('uq_area_code'))
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_area_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_area_parent_id'), ['parent_id'], unique=False)

    op.create_table('index_outbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_outbox'))
    )
    with op.batch_alter_table('index_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_index_outbox_pending', ['id'], unique=False, postgresql_where=sa.text('processed_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_index_outbox_service_id'), ['service_id'], unique=False)

    op.create_table('need',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('group', sa.Enum('reducing_reoffending', 'women', 'victims', 'youth', name='need_group', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('parent_code', sa.String(length=64), nullable=True),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['need.code'], name=op.f('fk_need_parent_code_need')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_need'))
    )
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_parent_code'), ['parent_code'], unique=False)

    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('charity_number', sa.String(length=12), nullable=True),
    sa.Column('company_number', sa.String(length=10), nullable=True),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('safeguarding_lead_name', sa.String(length=200), nullable=True),
    sa.Column('safeguarding_lead_email', sa.String(length=320), nullable=True),
    sa.Column('status', sa.Enum('pending', 'verified', 'rejected', 'suspended', name='verification_status', native_enum=False, create_constraint=True, length=32), server_default='pending', nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_status'), ['status'], unique=False)
        batch_op.create_index('uq_organisation_charity_number', ['charity_number'], unique=True, postgresql_where='charity_number IS NOT NULL')
        batch_op.create_index('uq_organisation_company_number', ['company_number'], unique=True, postgresql_where='company_number IS NOT NULL')

    op.create_table('outbox_message',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.Enum('email', 'sms', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('template', sa.String(length=60), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('personalisation', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', 'dead', name='outbox_status', native_enum=False, create_constraint=True, length=32), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('provider_reference', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_due', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status IN ('pending', 'failed')"))
        batch_op.create_index(batch_op.f('ix_outbox_message_status'), ['status'], unique=False)

    op.create_table('outward_code',
    sa.Column('outward', sa.String(length=4), nullable=False),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography', nullable=False), nullable=False),
    sa.Column('postcode_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('outward', name=op.f('pk_outward_code'))
    )
    op.create_table('postcode',
    sa.Column('postcode', sa.String(length=8), nullable=False),
    sa.Column('outward', sa.String(length=4), nullable=False),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography', nullable=False), nullable=False),
    sa.Column('local_authority_code', sa.String(length=9), nullable=True),
    sa.PrimaryKeyConstraint('postcode', name=op.f('pk_postcode'))
    )
    with op.batch_alter_table('postcode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postcode_outward'), ['outward'], unique=False)

    op.create_table('agency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('probation_region', 'police_force', 'youth_offending_team', 'victim_service', 'prison', 'other', name='agency_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_agency_area_id_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency')),
    sa.UniqueConstraint('name', name=op.f('uq_agency_name'))
    )
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_area_id'), ['area_id'], unique=False)

    op.create_table('location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address_line_1', sa.String(length=200), server_default='', nullable=False),
    sa.Column('address_line_2', sa.String(length=200), server_default='', nullable=False),
    sa.Column('town', sa.String(length=100), server_default='', nullable=False),
    sa.Column('postcode', sa.String(length=8), nullable=False),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, from_text='ST_GeogFromText', name='geography', nullable=False), nullable=False),
    sa.Column('hidden', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_location_area_id_area')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_location_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location'))
    )
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_location_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_location_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('organisation_area',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_organisation_area_area_id_area'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_organisation_area_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'area_id', name=op.f('pk_organisation_area'))
    )
    op.create_table('service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=300), server_default='', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'paused', name='service_status', native_enum=False, create_constraint=True, length=32), server_default='draft', nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('max_age', sa.Integer(), nullable=True),
    sa.Column('genders', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('cjs_stages', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('risk_levels', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('offence_exclusions', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('languages', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('interpreter_available', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('accessibility', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('delivery_modes', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('referral_routes', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('opening_times', sa.Text(), server_default='', nullable=False),
    sa.Column('evenings_only', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('places_taken', sa.Integer(), server_default='0', nullable=False),
    sa.Column('capacity_status', sa.Enum('available', 'waiting_list', 'full', name='capacity_status', native_enum=False, create_constraint=True, length=32), server_default='available', nullable=False),
    sa.Column('waiting_days', sa.Integer(), nullable=True),
    sa.Column('capacity_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating_sum', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False),
    sa.Column('rating_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('referrals_received', sa.Integer(), server_default='0', nullable=False),
    sa.Column('referrals_accepted', sa.Integer(), server_default='0', nullable=False),
    sa.Column('appointments_booked', sa.Integer(), server_default='0', nullable=False),
    sa.Column('appointments_attended', sa.Integer(), server_default='0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity >= 0', name=op.f('ck_service_capacity_not_negative')),
    sa.CheckConstraint('capacity IS NULL OR places_taken <= capacity', name=op.f('ck_service_places_taken_within_capacity')),
    sa.CheckConstraint('max_age IS NULL OR max_age <= 120', name=op.f('ck_service_max_age_plausible')),
    sa.CheckConstraint('min_age IS NULL OR max_age IS NULL OR min_age <= max_age', name=op.f('ck_service_age_range_ordered')),
    sa.CheckConstraint('min_age IS NULL OR min_age >= 0', name=op.f('ck_service_min_age_not_negative')),
    sa.CheckConstraint('places_taken >= 0', name=op.f('ck_service_places_taken_not_negative')),
    sa.CheckConstraint('rating_count >= 0', name=op.f('ck_service_rating_count_not_negative')),
    sa.CheckConstraint('waiting_days IS NULL OR waiting_days >= 0', name=op.f('ck_service_waiting_days_not_negative')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_service_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service'))
    )
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_status'), ['status'], unique=False)

    op.create_table('service_area',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_service_area_area_id_area')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_area_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'area_id', name=op.f('pk_service_area'))
    )
    with op.batch_alter_table('service_area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_area_area_id'), ['area_id'], unique=False)

    op.create_table('service_location',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_service_location_location_id_location'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_location_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'location_id', name=op.f('pk_service_location'))
    )
    with op.batch_alter_table('service_location', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_location_location_id'), ['location_id'], unique=False)

    op.create_table('service_need',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('need_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['need_code'], ['need.code'], name=op.f('fk_service_need_need_code_need')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_need_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'need_code', name=op.f('pk_service_need'))
    )
    with op.batch_alter_table('service_need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_need_need_code'), ['need_code'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('platform_admin', 'provider', 'referrer', 'commissioner', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('job_title', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role <> 'referrer' OR agency_id IS NOT NULL", name=op.f('ck_user_account_referrer_has_agency')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_user_account_agency_id_agency')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('uq_user_account_email_lower', [sa.text('lower(email)')], unique=True)

    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('ip_address', postgresql.INET(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)

    op.create_table('commissioner_area',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_commissioner_area_area_id_area'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_commissioner_area_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'area_id', name=op.f('pk_commissioner_area'))
    )
    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.Enum('admin', 'member', name='invitation_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_invitation_invited_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_invitation_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_hash'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('admin', 'member', name='membership_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_membership_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_membership_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('user_id', 'organisation_id', name=op.f('uq_membership_user_id'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('gender', sa.Enum('female', 'male', 'non_binary', 'other', name='person_gender', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('postcode', sa.String(length=8), nullable=True),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), server_default='en', nullable=False),
    sa.Column('accessibility_needs', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('cjs_stage', sa.Enum('out_of_court', 'pre_charge', 'court', 'community_order', 'licence', 'custody', 'victim', name='person_cjs_stage', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('risk_level', sa.Enum('low', 'medium', 'high', 'very_high', name='person_risk_level', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('offences', postgresql.ARRAY(sa.String(length=32)), server_default='{}', nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('mobile', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('age IS NULL OR (age >= 10 AND age <= 120)', name=op.f('ck_person_age_plausible')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_person_agency_id_agency')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_person_area_id_area')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_person_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_agency_id'), ['agency_id'], unique=False)

    op.create_table('service_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('summary', sa.String(length=300), server_default='', nullable=False),
    sa.Column('snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_service_version_changed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_version_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_version')),
    sa.UniqueConstraint('service_id', 'version', name=op.f('uq_service_version_service_id'))
    )
    op.create_table('needs_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'complete', 'superseded', name='assessment_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('remote_only', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('women_only', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('no_evenings', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('max_travel_km', sa.Numeric(precision=6, scale=1), nullable=True),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('max_travel_km IS NULL OR (max_travel_km > 0 AND max_travel_km <= 500)', name=op.f('ck_needs_assessment_max_travel_plausible')),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['user_account.id'], name=op.f('fk_needs_assessment_assessed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_needs_assessment_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs_assessment')),
    sa.UniqueConstraint('person_id', 'version', name=op.f('uq_needs_assessment_person_id'))
    )
    op.create_table('assessed_need',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('need_code', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.SmallInteger(), nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint('severity BETWEEN 0 AND 3', name=op.f('ck_assessed_need_severity_range')),
    sa.ForeignKeyConstraint(['assessment_id'], ['needs_assessment.id'], name=op.f('fk_assessed_need_assessment_id_needs_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_code'], ['need.code'], name=op.f('fk_assessed_need_need_code_need')),
    sa.PrimaryKeyConstraint('assessment_id', 'need_code', name=op.f('pk_assessed_need'))
    )
    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('referrer_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'sent', 'accepted', 'declined', 'in_progress', 'completed', 'withdrawn', 'cancelled', name='referral_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('need_codes', postgresql.ARRAY(sa.String(length=64)), server_default='{}', nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('contact_preference', sa.String(length=200), server_default='', nullable=False),
    sa.Column('consent_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('holds_place', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('on_waiting_list', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('state_reason_code', sa.String(length=40), nullable=True),
    sa.Column('state_reason', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Enum('met', 'partly_met', 'not_met', name='referral_outcome', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('outcome_notes', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lock_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state = 'draft' OR consent_recorded_at IS NOT NULL", name=op.f('ck_referral_consent_before_sending')),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_referral_agency_id_agency')),
    sa.ForeignKeyConstraint(['assessment_id'], ['needs_assessment.id'], name=op.f('fk_referral_assessment_id_needs_assessment')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_referral_location_id_location')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_referral_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_referral_person_id_person')),
    sa.ForeignKeyConstraint(['referrer_id'], ['user_account.id'], name=op.f('fk_referral_referrer_id_user_account')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_referral_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral')),
    sa.UniqueConstraint('reference', name=op.f('uq_referral_reference')),
    sa.UniqueConstraint('referrer_id', 'idempotency_key', name=op.f('uq_referral_referrer_id'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index('ix_referral_agency', ['agency_id', 'state', 'sent_at'], unique=False)
        batch_op.create_index('ix_referral_inbox', ['organisation_id', 'state', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_referrer_id'), ['referrer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_service_id'), ['service_id'], unique=False)
        batch_op.create_index('uq_referral_open_person_service', ['person_id', 'service_id'], unique=True, postgresql_where=sa.text("state IN ('draft', 'sent', 'accepted', 'in_progress')"))

    op.create_table('appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), server_default='60', nullable=False),
    sa.Column('mode', sa.Enum('in_person', 'remote', 'phone', name='appointment_mode', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('scheduled', 'attended', 'late', 'did_not_attend', 'rescheduled', 'cancelled', name='appointment_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('absence_reason', sa.String(length=40), nullable=True),
    sa.Column('absence_explained', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('engagement_notes', sa.Text(), nullable=True),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('person_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('person_checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rearrange_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rearrange_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('duration_minutes > 0 AND duration_minutes <= 480', name=op.f('ck_appointment_duration_plausible')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['user_account.id'], name=op.f('fk_appointment_booked_by_id_user_account')),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_appointment_location_id_location')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_appointment_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_appointment_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment'))
    )
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index('ix_appointment_starts_at', ['starts_at'], unique=False)

    op.create_table('compliance_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('missed_count', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('decision', sa.Enum('warning', 'rearranged', 'breach_reported', name='compliance_decision', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('decision_notes', sa.Text(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_compliance_alert_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_compliance_alert_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compliance_alert'))
    )
    with op.batch_alter_table('compliance_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compliance_alert_referral_id'), ['referral_id'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_message_author_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_message_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_referral_id'), ['referral_id'], unique=False)

    op.create_table('person_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_person_link_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_person_link_token_hash'))
    )
    with op.batch_alter_table('person_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_link_referral_id'), ['referral_id'], unique=False)

    op.create_table('referral_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('summary', sa.Text(), server_default='', nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_referral_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_referral_event_referral_id_referral'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_event'))
    )
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_event_referral_id'), ['referral_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('author_kind', sa.Enum('referrer', 'provider', 'person', name='feedback_author', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=False),
    sa.Column('comments', sa.Text(), server_default='', nullable=False),
    sa.Column('provider_reply', sa.Text(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_feedback_rating_range')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_feedback_appointment_id_appointment')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_feedback_author_id_user_account')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_feedback_referral_id_referral'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_feedback_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('referral_id', 'author_kind', 'appointment_id', name=op.f('uq_feedback_referral_id'), postgresql_nulls_not_distinct=True)
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_service_id'), ['service_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    # The audit log is append-only: refuse UPDATE and DELETE in the database itself.
    op.execute("""
        CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_event is append-only';
        END $$;
    """)
    op.execute("""
        CREATE TRIGGER audit_event_append_only
        BEFORE UPDATE OR DELETE ON audit_event
        FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
    """)


def downgrade():
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))
    op.drop_table('api_token')
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_service_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('referral_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_event_referral_id'))

    op.drop_table('referral_event')
    with op.batch_alter_table('person_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_link_referral_id'))

    op.drop_table('person_link')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_referral_id'))

    op.drop_table('message')
    with op.batch_alter_table('compliance_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compliance_alert_referral_id'))

    op.drop_table('compliance_alert')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_starts_at')
        batch_op.drop_index(batch_op.f('ix_appointment_referral_id'))

    op.drop_table('appointment')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index('uq_referral_open_person_service', postgresql_where=sa.text("state IN ('draft', 'sent', 'accepted', 'in_progress')"))
        batch_op.drop_index(batch_op.f('ix_referral_service_id'))
        batch_op.drop_index(batch_op.f('ix_referral_referrer_id'))
        batch_op.drop_index(batch_op.f('ix_referral_person_id'))
        batch_op.drop_index('ix_referral_inbox')
        batch_op.drop_index('ix_referral_agency')

    op.drop_table('referral')
    op.drop_table('assessed_need')
    op.drop_table('needs_assessment')
    op.drop_table('service_version')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_agency_id'))

    op.drop_table('person')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_organisation_id'))

    op.drop_table('membership')
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_organisation_id'))

    op.drop_table('invitation')
    op.drop_table('commissioner_area')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index(batch_op.f('ix_audit_event_created_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))

    op.drop_table('audit_event')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index('uq_user_account_email_lower')
        batch_op.drop_index(batch_op.f('ix_user_account_agency_id'))

    op.drop_table('user_account')
    with op.batch_alter_table('service_need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_need_need_code'))

    op.drop_table('service_need')
    with op.batch_alter_table('service_location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_location_location_id'))

    op.drop_table('service_location')
    with op.batch_alter_table('service_area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_area_area_id'))

    op.drop_table('service_area')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_status'))
        batch_op.drop_index(batch_op.f('ix_service_organisation_id'))

    op.drop_table('service')
    op.drop_table('organisation_area')
    with op.batch_alter_table('location', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_location_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_location_area_id'))

    op.drop_table('location')
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_area_id'))

    op.drop_table('agency')
    with op.batch_alter_table('postcode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postcode_outward'))

    op.drop_table('postcode')
    op.drop_table('outward_code')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_status'))
        batch_op.drop_index('ix_outbox_message_due', postgresql_where=sa.text("status IN ('pending', 'failed')"))

    op.drop_table('outbox_message')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index('uq_organisation_company_number', postgresql_where='company_number IS NOT NULL')
        batch_op.drop_index('uq_organisation_charity_number', postgresql_where='charity_number IS NOT NULL')
        batch_op.drop_index(batch_op.f('ix_organisation_status'))
        batch_op.drop_index(batch_op.f('ix_organisation_name'))

    op.drop_table('organisation')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_parent_code'))

    op.drop_table('need')
    with op.batch_alter_table('index_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_outbox_service_id'))
        batch_op.drop_index('ix_index_outbox_pending', postgresql_where=sa.text('processed_at IS NULL'))

    op.drop_table('index_outbox')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_parent_id'))
        batch_op.drop_index(batch_op.f('ix_area_name'))
        batch_op.drop_index(batch_op.f('ix_area_kind'))

    op.drop_table('area')
