#!/usr/bin/env bash
# make prod-local: the production configuration, tried on this machine.
#
# DEBUG off, a secret key generated once into .prod-local/secret_key (untracked), the
# database of PROD_LOCAL_DATABASE_URL (PostgreSQL by default, created if missing),
# collectstatic (whitenoise serves the compressed files), migrate, the demo data if
# the database is empty (PROD_LOCAL_DEMO=0 skips it), BOOK_WORKERS book workers
# (2) and gunicorn (gunicorn.conf.py, GUNICORN_WORKERS 2) on 127.0.0.1:PROD_LOCAL_PORT
# (8001). Plain HTTP on the loopback: TLS, secure cookies and HSTS are what the
# reverse proxy and the real settings add (deploy/). Ctrl+C (or SIGTERM) stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

state=${PROD_LOCAL_STATE:-.prod-local}
mkdir -p "$state"
if [[ ! -s "$state/secret_key" ]]; then
  (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$state/secret_key")
fi
DJANGO_SECRET_KEY=$(cat "$state/secret_key")
export DJANGO_SECRET_KEY
export DATABASE_URL=${PROD_LOCAL_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kpi_prod_local}
export DJANGO_SETTINGS_MODULE=kpi_portal.settings
export DJANGO_DEBUG=0 DJANGO_SSL_REDIRECT=0 DJANGO_SECURE_COOKIES=0 DJANGO_HSTS_SECONDS=0
export DJANGO_MEDIA_ROOT=${DJANGO_MEDIA_ROOT:-$state/media}
export DJANGO_STATIC_ROOT=${DJANGO_STATIC_ROOT:-$state/static}
export GUNICORN_BIND=127.0.0.1:${PROD_LOCAL_PORT:-8001}
export GUNICORN_WORKERS=${GUNICORN_WORKERS:-2}
python=.venv/bin/python

if [[ "$DATABASE_URL" == postgres* ]]; then
  name=${DATABASE_URL##*/}
  server=${DATABASE_URL%/*}
  if ! psql "$server/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    echo "Creating the database $name"
    psql "$server/postgres" -qc "CREATE DATABASE \"$name\""
  fi
fi

$python manage.py migrate --noinput -v 0
$python manage.py collectstatic --noinput -v 0
if [[ "${PROD_LOCAL_DEMO:-1}" != 0 ]]; then
  $python manage.py seed_demo --if-empty
fi

children=()
stop() {
  trap - EXIT INT TERM
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
}
trap stop EXIT INT TERM

for n in $(seq "${BOOK_WORKERS:-2}"); do
  # Niced from the start, as the systemd unit's Nice= (the command itself only lowers its
  # priority once Django has started).
  nice -n "${BOOK_WORKER_NICE:-10}" $python manage.py book_worker --worker-id "prod-local-$n" &
  children+=($!)
done
.venv/bin/gunicorn -c gunicorn.conf.py &
children+=($!)
echo "The portal (production settings) is at http://$GUNICORN_BIND/ ; health: /health/ and /health/background/"
wait -n || true
