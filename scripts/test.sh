#!/usr/bin/env bash
# Run the whole suite on SQLite, then again on PostgreSQL when it is reachable.
# RAPPORT_REQUIRE_POSTGRES=1 (set by CI) makes an unreachable PostgreSQL a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${RAPPORT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/rapport}"
PYTEST_ARGS=("$@")
# Two workers: the machines this runs on have two cores.
WORKERS="${RAPPORT_TEST_WORKERS:-2}"

echo "=== Checks: ruff, import contracts, mypy, migrations, OpenAPI document ==="
$BIN/ruff check .
$BIN/ruff format --check .
$BIN/lint-imports --no-cache >/dev/null && echo "import contracts kept" || { $BIN/lint-imports --no-cache; exit 1; }
RAPPORT_DATA_DIR="$(mktemp -d)" $BIN/mypy
RAPPORT_DATA_DIR="$(mktemp -d)" $BIN/python manage.py makemigrations --check --dry-run -v0
RAPPORT_DATA_DIR="$(mktemp -d)" $BIN/python manage.py export_openapi --check

echo
echo "=== Test run 1/2: database SQLite (embedded default) ==="
env -u DATABASE_URL RAPPORT_DATA_DIR="$(mktemp -d)" $BIN/pytest -q -n "$WORKERS" "${PYTEST_ARGS[@]}"

echo
if $BIN/python - "$PG_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}")
    sys.exit(1)
PY
then
  echo "=== Test run 2/2: database PostgreSQL ($PG_URL) ==="
  DATABASE_URL="$PG_URL" RAPPORT_DATA_DIR="$(mktemp -d)" $BIN/pytest -q -n "$WORKERS" "${PYTEST_ARGS[@]}"
elif [ "${RAPPORT_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "=== Test run 2/2: PostgreSQL is required here (RAPPORT_REQUIRE_POSTGRES=1) but unreachable ==="
  exit 1
else
  echo "=== Test run 2/2: skipped, PostgreSQL is not reachable at $PG_URL ==="
fi
