#!/usr/bin/env bash
# Runs every check and every test: lint, type checks, shellcheck, jest in each workspace,
# the shell tests, and the Playwright UI tests in Debian's Chromium against a real JupyterLab.
# Ends with one line "N passed, N failed" over all test runners, and one check that no process
# the run started is still running.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD
# Everything this run starts inherits these, even what leaves the process tree or starts a session
# of its own: the last check finds it by them (scripts/processes.js).
STUDIO_BACKUP_TEST_RUN="$$-$(date +%s%N)"
export STUDIO_BACKUP_TEST_RUN STUDIO_BACKUP_TEST_ROOT=$$
bash scripts/setup.sh --browser || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
setup_seconds=$SECONDS
export PATH="$root/.venv/bin:$PATH"

results="$root/.test-results"
rm -rf "$results"
mkdir -p "$results"
failed_stages=()
durations=("$(printf '%5d s  %s' "$setup_seconds" "setup")")

stage() {
  local name=$1 started=$SECONDS
  shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  if ! "$@"; then
    failed_stages+=("$name")
  fi
  durations+=("$(printf '%5d s  %s' $((SECONDS - started)) "$name")")
}

in_dir() {
  (cd "$1" && shift && "$@")
}

shell_scripts() {
  git ls-files '*.sh' .ci/run
}

# Two cores: each pair of groups runs side by side. A group run "beside" writes its output, its
# failed stages and its durations to files, shown once the foreground group is done.
# The static checks keep a cache in node_modules/.cache (which `npm ci` clears), so a second run in
# the same checkout checks only what changed: the results are the same, the warm run is shorter.
cache="$root/node_modules/.cache/studio-backup-checks"
typecheck() {
  npx tsc --noEmit --incremental --tsBuildInfoFile "$cache/$1.tsbuildinfo" -p "$2"
}
static_checks() {
  mkdir -p "$cache"
  stage "eslint" npx eslint . --cache --cache-location "$cache/eslint"
  stage "prettier" npx prettier --check --cache --cache-location "$cache/prettier" \
    "**/*{.ts,.tsx,.js,.jsx,.css,.json,.md}"
  stage "stylelint" npx stylelint --cache --cache-location "$cache/stylelint" "style/**/*.css"
  stage "tsc --noEmit (extension)" typecheck extension tsconfig.test.json
  stage "tsc --noEmit (lcc)" typecheck lcc lcc/tsconfig.json
  stage "tsc --noEmit (backend-infra)" typecheck backend-infra backend-infra/tsconfig.json
  stage "tsc --noEmit (ui-tests)" typecheck ui-tests ui-tests/tsconfig.json
  # shellcheck disable=SC2046
  stage "shellcheck" shellcheck $(shell_scripts)
  stage "layout (scripts/check-layout.js)" node scripts/check-layout.js
}
backend_and_shell_tests() {
  stage "jest (backend-infra)" in_dir backend-infra \
    npx jest --ci --json --outputFile="$results/jest-backend-infra.json"
  stage "shell tests" bash tests/shell/run.sh "$results/shell.json"
}

# The stages' bookkeeping is local here (bash scopes dynamically), and read back by join_beside.
run_beside() {
  local name=$1
  shift
  local -a failed_stages=() durations=()
  "$@"
  printf '%s\n' "${failed_stages[@]}" >"$results/$name-failed"
  printf '%s\n' "${durations[@]}" >"$results/$name-durations"
}
beside_pid=
beside() {
  run_beside "$@" >"$results/$1.log" 2>&1 &
  beside_pid=$!
}
join_beside() {
  local name=$1
  wait "$beside_pid"
  [ -f "$results/$name-failed" ] || echo "$name" >"$results/$name-failed"
  touch "$results/$name-durations"
  printf '\n\033[1m==> %s (run beside the stages above)\033[0m\n' "$name"
  cat "$results/$name.log"
  local line
  while IFS= read -r line; do [ -n "$line" ] && failed_stages+=("$line"); done <"$results/$name-failed"
  while IFS= read -r line; do [ -n "$line" ] && durations+=("$line"); done <"$results/$name-durations"
}

# jest (lcc) mostly waits on its servers and child processes: 3 workers keep both cores busy.
beside "static checks" static_checks
stage "jest (extension)" npx jest --ci --json --outputFile="$results/jest-extension.json"
stage "jest (lcc)" in_dir lcc npx jest --ci --maxWorkers=3 --json --outputFile="$results/jest-lcc.json"
join_beside "static checks"

# The browser tests wait on JupyterLab and Chromium as much as they compute.
beside "backend-infra and shell tests" backend_and_shell_tests
stage "playwright (ui-tests)" in_dir ui-tests \
  env CI=1 STUDIO_BACKUP_PLAYWRIGHT_JSON="$results/playwright.json" npx playwright test
join_beside "backend-infra and shell tests"
stage "no processes left" node scripts/processes.js leftovers "$results/leftovers.json"

echo
printf '%s\n' "${durations[@]}" "$(printf '%5d s  in all, setup included' "$SECONDS")"
echo
node scripts/test-summary.js "$results" "${failed_stages[@]}"
