#!/usr/bin/env bash
# Runs each tests/shell/test_*.sh as one test (exit 0 = pass) and writes {"passed","failed"} to $1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: run.sh RESULTS.json}
passed=0
failed=0
for test in "$here"/test_*.sh; do
  name=$(basename "$test" .sh)
  if log=$(bash "$test" 2>&1); then
    passed=$((passed + 1))
    echo "  ✓ $name"
  else
    failed=$((failed + 1))
    echo "  ✗ $name"
    printf '%s\n' "$log" | sed 's/^/      /'
  fi
done
printf '{"passed": %d, "failed": %d}\n' "$passed" "$failed" >"$out"
echo "shell tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
