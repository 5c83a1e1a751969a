#!/usr/bin/env bash
# The one test command (README and .ci/run both call exactly this): installs what the
# tests need, checks style (ruff) and types (mypy, strict on the core: see pyproject.toml),
# then runs the tests. Debian's chromium drives the browser tests; Debian's postgresql
# serves the room's PostgreSQL tests. Without root or apt those tests skip with their reason.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root_with_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -q >/dev/null 2>&1 || true; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1
}
if [ ! -x /usr/bin/chromium ] && as_root_with_apt; then
  apt_install chromium || echo "note: could not install chromium; the browser tests will skip"
fi

# PostgreSQL for the room tests (tests/room_helpers.py reads DETENTE_TEST_POSTGRES_URL): a
# cluster of Debian's postgresql, started here and stopped again on exit if it was down; a
# role that may create the per-test databases.
if [ -z "${DETENTE_TEST_POSTGRES_URL:-}" ] && as_root_with_apt; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql \
    || echo "note: could not install postgresql; the room's PostgreSQL tests will skip"
  if command -v pg_ctlcluster >/dev/null; then
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
      version=$(ls /usr/lib/postgresql | sort -n | tail -1)
      pg_createcluster "$version" main >/dev/null 2>&1 || true
    fi
    pg_version="" pg_name="" pg_port="" pg_status=""
    read -r pg_version pg_name pg_port pg_status _ < <(pg_lsclusters -h | head -1) || true
    if [ -n "$pg_name" ] && [ "$pg_status" != online ]; then
      if pg_ctlcluster "$pg_version" "$pg_name" start; then
        trap 'pg_ctlcluster "$pg_version" "$pg_name" stop || true' EXIT
      fi
    fi
    if [ -n "$pg_port" ] && su postgres -c "psql -p $pg_port -qtAc \"SELECT 1\"" >/dev/null 2>&1; then
      su postgres -c "psql -p $pg_port -q" >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'detente_test') THEN
    CREATE ROLE detente_test LOGIN CREATEDB PASSWORD 'detente_test';
  END IF;
END $$;
SQL
      export DETENTE_TEST_POSTGRES_URL="postgresql://detente_test:detente_test@127.0.0.1:$pg_port/postgres"
    else
      echo "note: postgresql did not start; the room's PostgreSQL tests will skip"
    fi
  fi
fi
python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'
.venv/bin/ruff check src tests
.venv/bin/mypy
# One worker per core (CI has 2); a test module stays on one worker so its module-scoped
# fixtures (a shared analysis, a server) are computed once. DETENTE_TEST_WORKERS=0 runs serially.
.venv/bin/python -m pytest -n "${DETENTE_TEST_WORKERS:-auto}" --dist loadfile "$@"
