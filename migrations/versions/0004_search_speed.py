"""Search speed: one table to read per search, and one index row per delivery location

Revision ID: 0004_search_speed
Revises: 0004_reverify
Create Date: 2026-11-24 16:40:00.000000

The PostgreSQL backend's statement used to join ``service_search`` to ``service`` and
``organisation`` for every candidate, and narrowed by distance through a GiST index on one
MULTIPOINT per service. Services delivered from several towns have bounding boxes
hundreds of kilometres wide, so around London the index returned 3,000 of 10,000 services
for ``ST_DWithin`` to reject half of them, at several microseconds each (EXPLAIN in
search.models.ServiceSearchPoint). This revision:

* copies into ``service_search`` every service column that search filters, sorts or
  counts facets on, and the organisation's verification status (``ATTRIBUTES``), so the
  statement reads one table. The copies are raw: what they mean for search (effective
  capacity, "open to everyone", Bayesian rating) stays in Python, in search.postgres.
  A row trigger copies them in the same statement that changes them, so capacity and
  status are right at once and a capacity change never waits for the full refresh;
* adds ``service_search_point``: one row per (service, delivery location) with a GiST
  index on the point, refreshed with the document. A radius search reads the points near
  the place, and the nearest of each service's points is its distance;
* drops the GiST index on ``service_search.points``, which no search uses any more (the
  column stays: distance for services found by area rather than radius).
"""
import importlib.util
from pathlib import Path

from alembic import op
import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0004_search_speed'
down_revision = '0004_reverify'
branch_labels = None
depends_on = None

TEXT_ARRAY = postgresql.ARRAY(sa.String(length=32))

# service_search column -> (its source, its type, its server default or None). Sources
# are columns of ``service s`` and ``organisation o``.
ATTRIBUTES = {
    'name': ('s.name', sa.String(length=200), "''"),
    'status': ('s.status', sa.String(length=32), "'draft'"),
    'organisation_status': ('o.status', sa.String(length=32), "'pending'"),
    'min_age': ('s.min_age', sa.Integer(), None),
    'max_age': ('s.max_age', sa.Integer(), None),
    'genders': ('s.genders', TEXT_ARRAY, "'{}'"),
    'cjs_stages': ('s.cjs_stages', TEXT_ARRAY, "'{}'"),
    'risk_levels': ('s.risk_levels', TEXT_ARRAY, "'{}'"),
    'languages': ('s.languages', TEXT_ARRAY, "'{}'"),
    'interpreter_available': ('s.interpreter_available', sa.Boolean(), 'false'),
    'accessibility': ('s.accessibility', TEXT_ARRAY, "'{}'"),
    'delivery_modes': ('s.delivery_modes', TEXT_ARRAY, "'{}'"),
    'capacity': ('s.capacity', sa.Integer(), None),
    'places_taken': ('s.places_taken', sa.Integer(), '0'),
    'capacity_status': ('s.capacity_status', sa.String(length=32), "'available'"),
    'waiting_days': ('s.waiting_days', sa.Integer(), None),
    'rating_sum': ('s.rating_sum', sa.Numeric(precision=12, scale=2), '0'),
    'rating_count': ('s.rating_count', sa.Integer(), '0'),
}
SERVICE_COLUMNS = [source[2:] for source, _type, _default in ATTRIBUTES.values()
                   if source.startswith('s.')]

DOCUMENT = """
           setweight(to_tsvector('english', s.name), 'A')
           || setweight(to_tsvector('english', s.summary), 'B')
           || setweight(to_tsvector('english', o.name), 'B')
           || setweight(to_tsvector('english', coalesce(
                  (SELECT string_agg(n.name, ' ' ORDER BY n.code)
                     FROM service_need sn JOIN need n ON n.code = sn.need_code
                    WHERE sn.service_id = s.id), '')), 'B')
           || setweight(to_tsvector('english', s.description), 'C')"""
NEED_CODES = """
           ARRAY(SELECT DISTINCT code FROM (
                     SELECT n.code FROM service_need sn JOIN need n ON n.code = sn.need_code
                      WHERE sn.service_id = s.id
                     UNION
                     SELECT n.parent_code FROM service_need sn JOIN need n ON n.code = sn.need_code
                      WHERE sn.service_id = s.id AND n.parent_code IS NOT NULL
                 ) AS expanded ORDER BY code)"""
POINTS = """
           (SELECT ST_Multi(ST_Collect(l.point::geometry ORDER BY l.id))::geography
              FROM service_location sl JOIN location l ON l.id = sl.location_id
             WHERE sl.service_id = s.id)"""


def _refresh_function() -> str:
    columns = ['document', 'need_codes', 'points', *ATTRIBUTES]
    values = [DOCUMENT, NEED_CODES, POINTS, *(source for source, _t, _d in ATTRIBUTES.values())]
    return f"""
CREATE OR REPLACE FUNCTION refresh_service_search(service_ids integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- PL/pgSQL rather than SQL: its plan is cached per connection, where an SQL function
    -- would be planned again on every call (milliseconds, for each trigger firing).
    IF cardinality(service_ids) = 0 THEN
        RETURN;
    END IF;
    INSERT INTO service_search (service_id, {', '.join(columns)})
    SELECT s.id, {', '.join(v.strip() for v in values)}
      FROM service s JOIN organisation o ON o.id = s.organisation_id
     WHERE s.id = ANY(service_ids)
    ON CONFLICT (service_id) DO UPDATE
       SET {', '.join(f'{c} = EXCLUDED.{c}' for c in columns)};
    DELETE FROM service_search_point WHERE service_id = ANY(service_ids);
    INSERT INTO service_search_point (service_id, location_id, point)
    SELECT sl.service_id, sl.location_id, l.point
      FROM service_location sl JOIN location l ON l.id = sl.location_id
     WHERE sl.service_id = ANY(service_ids);
END
$$;
"""


ATTRIBUTES_FUNCTION = f"""
CREATE FUNCTION refresh_service_search_attributes(service_ids integer[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- A service without a document yet gets everything from refresh_service_search at
    -- commit (its insert noted it); this only keeps existing documents' copies current.
    UPDATE service_search ss
       SET ({', '.join(ATTRIBUTES)})
         = ({', '.join(source for source, _t, _d in ATTRIBUTES.values())})
      FROM service s JOIN organisation o ON o.id = s.organisation_id
     WHERE s.id = ANY(service_ids) AND ss.service_id = s.id;
END
$$;
"""

def _from_new_row(source: str) -> str:
    if source.startswith('s.'):
        return f'NEW.{source[2:]}'
    return f'(SELECT {source} FROM organisation o WHERE o.id = NEW.organisation_id)'


# The service trigger copies from NEW: no join to plan, and a statement whose cached plan
# suits every call (an "id = ANY(array)" one was planned afresh on every row, 0.5 ms).
COPY_FUNCTIONS = {
    'service_search_copy_service': f"""
        UPDATE service_search
           SET ({', '.join(ATTRIBUTES)})
             = ({', '.join(_from_new_row(source) for source, _t, _d in ATTRIBUTES.values())})
         WHERE service_id = NEW.id;
    """,
    'service_search_copy_organisation': """
        PERFORM refresh_service_search_attributes(
            ARRAY(SELECT id FROM service WHERE organisation_id = NEW.id));
    """,
}

_SERVICE_CHANGED = ' OR '.join(
    f'OLD.{column} IS DISTINCT FROM NEW.{column}'
    for column in [*SERVICE_COLUMNS, 'organisation_id']
)
COPY_TRIGGERS = {
    'service_search_copy_service': (
        'service',
        f"""CREATE TRIGGER service_search_copy_service AFTER UPDATE ON service FOR EACH ROW
            WHEN ({_SERVICE_CHANGED})
            EXECUTE FUNCTION service_search_copy_service()""",
    ),
    'service_search_copy_organisation': (
        'organisation',
        """CREATE TRIGGER service_search_copy_organisation AFTER UPDATE ON organisation
           FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
           EXECUTE FUNCTION service_search_copy_organisation()""",
    ),
}


def _load_revision(filename):
    spec = importlib.util.spec_from_file_location(filename[:-3], Path(__file__).with_name(filename))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    with op.batch_alter_table('service_search', schema=None) as batch_op:
        for column, (_source, type_, default) in ATTRIBUTES.items():
            nullable = default is None
            batch_op.add_column(sa.Column(
                column, type_, nullable=nullable,
                server_default=sa.text(default) if default is not None else None,
            ))
        batch_op.drop_index('idx_service_search_points', postgresql_using='gist')

    op.create_table('service_search_point',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('point', Geography(geometry_type='POINT', srid=4326, dimension=2, from_text='ST_GeogFromText', name='geography'), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service_search.service_id'], name=op.f('fk_service_search_point_service_id_service_search'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'location_id', name=op.f('pk_service_search_point'))
    )
    # The GiST index idx_service_search_point_point comes with the Geography column.

    op.execute(_refresh_function())
    op.execute(ATTRIBUTES_FUNCTION)
    for name, body in COPY_FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\n    RETURN NULL;\nEND\n$$;"
        )
    for _table, statement in COPY_TRIGGERS.values():
        op.execute(statement)
    # Existing documents get their copies and points now.
    op.execute("SELECT refresh_service_search(ARRAY(SELECT id FROM service))")
    op.execute("ANALYZE service_search")
    op.execute("ANALYZE service_search_point")


def downgrade():
    for name, (table, _statement) in COPY_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP FUNCTION IF EXISTS refresh_service_search_attributes(integer[])")
    op.drop_table('service_search_point')
    # The refresh function of 0002_search, which knows nothing of the copies or points.
    search_0002 = _load_revision('0002_search.py')
    op.execute("DROP FUNCTION refresh_service_search(integer[])")
    op.execute(search_0002.REFRESH_FUNCTION)
    with op.batch_alter_table('service_search', schema=None) as batch_op:
        batch_op.create_index('idx_service_search_points', ['points'], unique=False, postgresql_using='gist')
        for column in reversed(ATTRIBUTES):
            batch_op.drop_column(column)
