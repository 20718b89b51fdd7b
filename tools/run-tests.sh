#!/usr/bin/env bash
# Every test stage of `make test`, in order; stop at the first failing stage.
#
#   tools/run-tests.sh [STAGE ...]     default: all stages
#
# Stages: lint  unit  rabbit  functional  postgres  fuzz  e2e  chaos  tempest
# (and chaos-full, the whole fault suite: `make chaos`)
# Real servers (RabbitMQ, PostgreSQL, Stratus itself) are started here or by the test fixtures
# on loopback, in temporary directories, and stopped again on exit.
#
# Each stage's wall time is printed when it ends and again, as a table, when the run ends
# (passed or not); pytest lists each stage's slowest tests. Every wait in
# the tests and every per-test limit is in seconds measured on the 2-core reference machine;
# STRATUS_TEST_TIMEOUT_SCALE=2 stretches them all on a slower one (tests/fixtures/waiting.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
stages=("$@"); ((${#stages[@]})) || stages=(lint unit rabbit functional postgres fuzz e2e chaos tempest)
mkdir -p artifacts
tmp=$(mktemp -d /tmp/stratus-test.XXXXXX); chmod 755 "$tmp"
t0=$(date +%s)
times=()     # "stage seconds result" of every stage that ran
# NOTE: `make test` installs dependencies first and passes its time on, so it is in the table
[[ -n "${STRATUS_DEPS_SECONDS:-}" ]] && times+=("deps $STRATUS_DEPS_SECONDS passed")
current=""   # the stage running now, if any
s0=$t0

summary() {
  local line name secs result
  [[ -n "$current" ]] && times+=("$current $(( $(date +%s) - s0 )) FAILED")
  printf '\n=== stage times ===\n'
  for line in "${times[@]}"; do
    read -r name secs result <<<"$line"
    printf '  %-12s %6d s  %3d:%02d  %s\n' "$name" "$secs" $((secs / 60)) $((secs % 60)) "$result"
  done
  secs=$(( $(date +%s) - t0 + ${STRATUS_DEPS_SECONDS:-0} ))
  printf '  %-12s %6d s  %3d:%02d\n' total "$secs" $((secs / 60)) $((secs % 60))
}
cleanup() {
  local code=$?
  summary
  [[ -d "$tmp/pg" ]] && tools/postgres.sh stop "$tmp/pg" || true
  rm -rf "$tmp"
  exit "$code"
}
trap cleanup EXIT
# NOTE: --durations names the slowest tests of a stage, so a slow machine shows where time goes.
PYTEST=(python -m pytest -p no:cacheprovider --durations=15)
# NOTE: the Tempest harness (../shared/tempest/run.sh) builds its own venv on first use; it is
# built here, as a step of its own, so that pip's time is not charged to a test's time limit.
export TEMPEST_VENV=${TEMPEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/stratus-tempest/venv}

stage() { printf '\n=== %s ===\n' "$1"; }
for s in "${stages[@]}"; do
  s0=$(date +%s); current=$s
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
    fuzz)
      stage "fuzzing every API (schemathesis, OpenAPI documents) as admin and member"
      "${PYTEST[@]}" -q tests/fuzz
      ;;
    e2e)
      stage "end to end: real processes (RabbitMQ, PostgreSQL, QEMU) and the openstack CLI"
      # NOTE: the test guest image is built (or found cached) before any test's clock starts.
      tools/build-test-image.sh "${STRATUS_TEST_IMAGE_DIR:-var/test-image}"
      STRATUS_REQUIRE_RABBIT=1 STRATUS_REQUIRE_POSTGRES=1 \
        "${PYTEST[@]}" -q tests/e2e -m "e2e and not tempest"
      ;;
    chaos)
      stage "fault suite, representative subset (make chaos runs all of it)"
      tools/build-test-image.sh "${STRATUS_TEST_IMAGE_DIR:-var/test-image}"
      STRATUS_REQUIRE_RABBIT=1 STRATUS_REQUIRE_POSTGRES=1 \
        "${PYTEST[@]}" -q -rs tests/chaos -m chaos_smoke
      ;;
    chaos-full)
      stage "fault suite, every fault"
      tools/build-test-image.sh "${STRATUS_TEST_IMAGE_DIR:-var/test-image}"
      STRATUS_REQUIRE_RABBIT=1 STRATUS_REQUIRE_POSTGRES=1 "${PYTEST[@]}" -q -rs tests/chaos -m chaos
      ;;
    tempest)
      stage "OpenStack Tempest against stratus up"
      if [[ ! -x "$TEMPEST_VENV/bin/tempest" ]]; then
        echo "run-tests: installing tempest into $TEMPEST_VENV"
        python3 -m venv "$TEMPEST_VENV"
        "$TEMPEST_VENV/bin/pip" install -q tempest python-openstackclient openstacksdk
      fi
      "${PYTEST[@]}" -q -s tests/e2e -m tempest
      ;;
    *) echo "run-tests: unknown stage $s" >&2; exit 2;;
  esac
  times+=("$s $(( $(date +%s) - s0 )) passed"); current=""
  echo "--- $s: $(( $(date +%s) - s0 )) s"
done
echo "run-tests: all stages passed in $(( $(date +%s) - t0 )) s"
