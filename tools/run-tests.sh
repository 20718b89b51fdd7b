#!/usr/bin/env bash
# Every test stage of `make test`, in order; stop at the first failing stage.
#
#   tools/run-tests.sh [STAGE ...]     default: all stages
#
# Stages: lint  unit  rabbit  functional  postgres  e2e  tempest
# Real servers (RabbitMQ, PostgreSQL, Stratus itself) are started here or by the test fixtures
# on loopback, in temporary directories, and stopped again on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
stages=("$@"); ((${#stages[@]})) || stages=(lint unit rabbit functional postgres e2e tempest)
mkdir -p artifacts
tmp=$(mktemp -d /tmp/stratus-test.XXXXXX); chmod 755 "$tmp"
cleanup() {
  [[ -d "$tmp/pg" ]] && tools/postgres.sh stop "$tmp/pg" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
PYTEST=(python -m pytest -p no:cacheprovider)

stage() { printf '\n=== %s ===\n' "$1"; }
t0=$(date +%s)
for s in "${stages[@]}"; do
  s0=$(date +%s)
  case "$s" in
    lint)
      stage "lint: ruff, mypy --strict, import layering"
      ruff check src tests tools
      ruff format --check src tests tools
      mypy
      lint-imports
      ;;
    unit)
      stage "unit and contract tests (memory:// bus)"
      "${PYTEST[@]}" -q tests/unit tests/contract -m "not rabbit"
      ;;
    rabbit)
      stage "bus contract tests on a real RabbitMQ"
      STRATUS_REQUIRE_RABBIT=1 "${PYTEST[@]}" -q tests/contract -m rabbit
      ;;
    functional)
      stage "functional tests on SQLite"
      "${PYTEST[@]}" -q tests/functional
      ;;
    postgres)
      stage "functional tests on a real PostgreSQL"
      url=$(tools/postgres.sh start "$tmp/pg" 55432)
      STRATUS_TEST_DB_URL="$url" "${PYTEST[@]}" -q tests/functional
      tools/postgres.sh stop "$tmp/pg"
      ;;
    e2e)
      stage "end to end: real processes (RabbitMQ, PostgreSQL, QEMU) and the openstack CLI"
      STRATUS_REQUIRE_RABBIT=1 STRATUS_REQUIRE_POSTGRES=1 \
        "${PYTEST[@]}" -q tests/e2e -m "e2e and not tempest"
      ;;
    tempest)
      stage "OpenStack Tempest against stratus up"
      "${PYTEST[@]}" -q -s tests/e2e -m tempest
      ;;
    *) echo "run-tests: unknown stage $s" >&2; exit 2;;
  esac
  echo "--- $s: $(( $(date +%s) - s0 )) s"
done
echo "run-tests: all stages passed in $(( $(date +%s) - t0 )) s"
