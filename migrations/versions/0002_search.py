"""Search: the full-text document table and the triggers that keep it current

Revision ID: 0002_search
Revises: 0002_onboarding
Create Date: 2026-11-23 13:35:30.608946

``service_search`` holds one weighted English tsvector, the expanded need codes and the
delivery locations (one geography MULTIPOINT, GiST-indexed) per service. Row triggers note, in ``service_search_pending``, every service whose text,
organisation name, needs or need names change; a deferred constraint trigger refreshes
all of them once, in one statement, as the transaction commits (see
search.models.ServiceSearch for why this design).
"""
from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0002_search'
down_revision = '0002_onboarding'
branch_labels = None
depends_on = None


REFRESH_FUNCTION = """
CREATE FUNCTION refresh_service_search(service_ids integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- PL/pgSQL rather than SQL: its plan is cached per connection, where an SQL function
    -- would be planned again on every call (milliseconds, for each trigger firing).
    IF cardinality(service_ids) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO service_search (service_id, document, need_codes, points)
    SELECT s.id,
           setweight(to_tsvector('english', s.name), 'A')
           || setweight(to_tsvector('english', s.summary), 'B')
           || setweight(to_tsvector('english', o.name), 'B')
           || setweight(to_tsvector('english', coalesce(
                  (SELECT string_agg(n.name, ' ' ORDER BY n.code)
                     FROM service_need sn JOIN need n ON n.code = sn.need_code
                    WHERE sn.service_id = s.id), '')), 'B')
           || setweight(to_tsvector('english', s.description), 'C'),
           ARRAY(SELECT DISTINCT code FROM (
                     SELECT n.code FROM service_need sn JOIN need n ON n.code = sn.need_code
                      WHERE sn.service_id = s.id
                     UNION
                     SELECT n.parent_code FROM service_need sn JOIN need n ON n.code = sn.need_code
                      WHERE sn.service_id = s.id AND n.parent_code IS NOT NULL
                 ) AS expanded ORDER BY code),
           (SELECT ST_Multi(ST_Collect(l.point::geometry ORDER BY l.id))::geography
              FROM service_location sl JOIN location l ON l.id = sl.location_id
             WHERE sl.service_id = s.id)
      FROM service s JOIN organisation o ON o.id = s.organisation_id
     WHERE s.id = ANY(service_ids)
    ON CONFLICT (service_id) DO UPDATE
       SET document = EXCLUDED.document, need_codes = EXCLUDED.need_codes,
           points = EXCLUDED.points;
END
$$;
"""

TRIGGER_FUNCTIONS = {
    # Row-level triggers only note which services need a new document: cheap, whatever
    # way rows arrive (psycopg sends an executemany as one statement per row).
    "service_search_note_service": """
        INSERT INTO service_search_pending (service_id) VALUES (NEW.id);
    """,
    "service_search_note_need_link": """
        INSERT INTO service_search_pending (service_id)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.service_id ELSE NEW.service_id END);
    """,
    "service_search_note_location_link": """
        INSERT INTO service_search_pending (service_id)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.service_id ELSE NEW.service_id END);
    """,
    "service_search_note_location": """
        INSERT INTO service_search_pending (service_id)
        SELECT service_id FROM service_location WHERE location_id = NEW.id;
    """,
    "service_search_note_organisation": """
        INSERT INTO service_search_pending (service_id)
        SELECT id FROM service WHERE organisation_id = NEW.id;
    """,
    "service_search_note_need": """
        INSERT INTO service_search_pending (service_id)
        SELECT service_id FROM service_need WHERE need_code = NEW.code;
    """,
}

# Deferred to commit: the first firing refreshes every service this transaction noted, once
# each, in one statement; the other firings find nothing left to do. Rows other
# transactions have noted but not committed are invisible here, so each refreshes its own.
REFRESH_PENDING_FUNCTION = """
CREATE FUNCTION service_search_refresh_pending() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    noted integer[];
BEGIN
    WITH taken AS (DELETE FROM service_search_pending RETURNING service_id)
    SELECT array_agg(DISTINCT service_id) INTO noted FROM taken;
    IF noted IS NOT NULL THEN
        PERFORM refresh_service_search(noted);
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = [
    """CREATE TRIGGER service_search_insert AFTER INSERT ON service FOR EACH ROW
       EXECUTE FUNCTION service_search_note_service()""",
    """CREATE TRIGGER service_search_update AFTER UPDATE ON service FOR EACH ROW
       WHEN (OLD.name IS DISTINCT FROM NEW.name
             OR OLD.summary IS DISTINCT FROM NEW.summary
             OR OLD.description IS DISTINCT FROM NEW.description
             OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id)
       EXECUTE FUNCTION service_search_note_service()""",
    """CREATE TRIGGER service_search_need_link AFTER INSERT OR DELETE ON service_need
       FOR EACH ROW EXECUTE FUNCTION service_search_note_need_link()""",
    """CREATE TRIGGER service_search_location_link AFTER INSERT OR DELETE ON service_location
       FOR EACH ROW EXECUTE FUNCTION service_search_note_location_link()""",
    """CREATE TRIGGER service_search_location_move AFTER UPDATE ON location FOR EACH ROW
       WHEN (ST_AsBinary(OLD.point) IS DISTINCT FROM ST_AsBinary(NEW.point))
       EXECUTE FUNCTION service_search_note_location()""",
    """CREATE TRIGGER service_search_organisation_rename AFTER UPDATE ON organisation FOR EACH ROW
       WHEN (OLD.name IS DISTINCT FROM NEW.name)
       EXECUTE FUNCTION service_search_note_organisation()""",
    """CREATE TRIGGER service_search_need_rename AFTER UPDATE ON need FOR EACH ROW
       WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.parent_code IS DISTINCT FROM NEW.parent_code)
       EXECUTE FUNCTION service_search_note_need()""",
    """CREATE CONSTRAINT TRIGGER service_search_refresh AFTER INSERT ON service_search_pending
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
       EXECUTE FUNCTION service_search_refresh_pending()""",
]

TRIGGER_TABLES = {
    "service_search_insert": "service",
    "service_search_update": "service",
    "service_search_need_link": "service_need",
    "service_search_location_link": "service_location",
    "service_search_location_move": "location",
    "service_search_organisation_rename": "organisation",
    "service_search_need_rename": "need",
    "service_search_refresh": "service_search_pending",
}


def upgrade():
    op.create_table('service_search',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('document', postgresql.TSVECTOR(), nullable=False),
    sa.Column('need_codes', postgresql.ARRAY(sa.String(length=64)), server_default='{}', nullable=False),
    sa.Column('points', Geography(geometry_type='MULTIPOINT', srid=4326, dimension=2, from_text='ST_GeogFromText', name='geography'), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_search_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', name=op.f('pk_service_search'))
    )
    with op.batch_alter_table('service_search', schema=None) as batch_op:
        batch_op.create_index('ix_service_search_document', ['document'], unique=False, postgresql_using='gin')
        batch_op.create_index('ix_service_search_need_codes', ['need_codes'], unique=False, postgresql_using='gin')

    op.create_table('service_search_pending',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_search_pending'))
    )
    op.execute(REFRESH_FUNCTION)
    for name, body in TRIGGER_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\n    RETURN NULL;\nEND\n$$;"
        )
    op.execute(REFRESH_PENDING_FUNCTION)
    for statement in TRIGGERS:
        op.execute(statement)
    # Services that exist before this revision get their documents now.
    op.execute("SELECT refresh_service_search(ARRAY(SELECT id FROM service))")


def downgrade():
    for trigger, table in TRIGGER_TABLES.items():
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for name in [*TRIGGER_FUNCTIONS, "service_search_refresh_pending"]:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP FUNCTION IF EXISTS refresh_service_search(integer[])")
    with op.batch_alter_table('service_search', schema=None) as batch_op:
        batch_op.drop_index('ix_service_search_need_codes', postgresql_using='gin')
        batch_op.drop_index('ix_service_search_document', postgresql_using='gin')

    op.drop_table('service_search')
    op.drop_table('service_search_pending')
