#!/usr/bin/env bash
# Runs every test level in order (npm test builds js/pkg first):
#   1. native Rust tests      cargo test
#   2. wasm-bindgen tests      cargo test --target wasm32-unknown-unknown --test wasm (under Node)
#   3. end-to-end JS tests     node --test tests/js/*.test.{js,mjs}
# A failing native level stops the run; otherwise every level runs. Exits non-zero if any
# level failed, and ends with "tests: N passed, N failed" summed over all levels.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

log=$(mktemp -d "${TMPDIR:-/tmp}/portal-migrate-test.XXXXXX")
trap 'rm -rf "$log"' EXIT
passed=0 failed=0 failed_levels=()

header() { printf '\n==== %s ====\n' "$*"; }

# Adds a level's counts (from its runner's closing lines) to the totals.
count() {
  local p f
  read -r p f < <(awk '
    /^test result: / { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
    /^# pass [0-9]+$/ { p += $3 }
    /^# fail [0-9]+$/ { f += $3 }
    END { print p + 0, f + 0 }' "$1")
  passed=$((passed + p)); failed=$((failed + f))
}

# run NAME CMD...: runs a level, tees its output, records its counts and status.
run() {
  local name=$1; shift
  "$@" 2>&1 | tee "$log/$name.out"
  local rc=${PIPESTATUS[0]}
  count "$log/$name.out"
  if [ "$rc" -ne 0 ]; then
    failed_levels+=("$name")
    # a runner that died without reporting a failed test still counts as one failure
    grep -qE '^(test result: FAILED|# fail [1-9])' "$log/$name.out" || failed=$((failed + 1))
  fi
  return "$rc"
}

finish() {
  echo
  if [ ${#failed_levels[@]} -gt 0 ]; then
    echo "test levels failed: ${failed_levels[*]}"
  fi
  echo "tests: $passed passed, $failed failed"
  [ ${#failed_levels[@]} -eq 0 ]
  exit
}

header "1/3 native Rust tests: cargo test"
run native cargo test || finish

header "2/3 wasm-bindgen tests (Node): cargo test --target wasm32-unknown-unknown --test wasm"
if [ -f tests/wasm.rs ] || [ -f tests/wasm/main.rs ]; then
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    run wasm cargo test --target wasm32-unknown-unknown --test wasm
else
  echo "skipped: no tests/wasm.rs (or tests/wasm/main.rs) yet"
fi

header "3/3 end-to-end JS tests: node --test tests/js/"
mapfile -t js_tests < <(find tests/js -type f \( -name '*.test.js' -o -name '*.test.mjs' \) 2>/dev/null | sort)
if [ ${#js_tests[@]} -gt 0 ]; then
  run js node --test --test-concurrency=1 --test-reporter=tap "${js_tests[@]}"
else
  echo "skipped: no tests/js/*.test.js yet"
fi

finish
