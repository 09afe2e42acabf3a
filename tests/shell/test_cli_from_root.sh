#!/usr/bin/env bash
# `npx studio-backup --help` works from the repository root after setup.
set -euo pipefail
cd "$(dirname "$0")/../.."
help=$(npx --no-install studio-backup --help)
echo "$help" | grep -q 'Usage: studio-backup' || { echo "unexpected help: $help"; exit 1; }
echo "$help" | grep -q 'agent' || { echo "help does not list the agent command: $help"; exit 1; }
