#!/usr/bin/env bash
# `pip install .` (done by scripts/setup.sh) leaves the prebuilt extension enabled and OK.
set -euo pipefail
cd "$(dirname "$0")/../.."
listing=$(.venv/bin/jupyter labextension list 2>&1)
echo "$listing" | grep -E 'sagemaker-studio-backup v[0-9.]+ .*enabled.* .*OK.* \(python, sagemaker_studio_backup\)' ||
  { echo "sagemaker-studio-backup is not listed as enabled and OK:"; echo "$listing"; exit 1; }
