#!/usr/bin/env bash
# `pip install .` (done by scripts/setup.sh) leaves the prebuilt extension enabled and OK,
set -euo pipefail
cd "$(dirname "$0")/../.."
listing=$(.venv/bin/jupyter labextension list 2>&1)
echo "$listing" | grep -E 'sagemaker-studio-backup v[0-9.]+ .*enabled.* .*OK.* \(python, sagemaker_studio_backup\)' ||
  { echo "sagemaker-studio-backup is not listed as enabled and OK:"; echo "$listing"; exit 1; }
# …and the server extension that forwards the panel's requests to the agent, enabled by the
# jupyter-config file the wheel installs into etc/jupyter/jupyter_server_config.d.
servers=$(.venv/bin/jupyter server extension list 2>&1)
echo "$servers" | grep -E 'sagemaker_studio_backup .*enabled' >/dev/null ||
  { echo "sagemaker_studio_backup is not an enabled server extension:"; echo "$servers"; exit 1; }
echo "$servers" | grep -A3 -E 'sagemaker_studio_backup .*enabled' | grep -E 'sagemaker_studio_backup .*OK' >/dev/null ||
  { echo "sagemaker_studio_backup does not load:"; echo "$servers"; exit 1; }
