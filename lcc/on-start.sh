#!/bin/bash
# Studio Backup: lifecycle configuration for JupyterLab and Code Editor spaces.
# At every app start: fetch the agent (and, for JupyterLab, the panel), apply a pending full restore,
# then back up the home on a schedule. Long work runs in the background: the app start is not held up.
# `studio-backup install-lcc` fills in the settings below; every one can be overridden by environment.
set -uo pipefail

BUCKET="${STUDIO_BACKUP_BUCKET:-__BUCKET__}"
PREFIX="${STUDIO_BACKUP_PREFIX:-__PREFIX__}"
INTERVAL_MINUTES="${STUDIO_BACKUP_INTERVAL:-__INTERVAL__}"
# The reference's switch: 0 backs up at every start only, never on a schedule.
[ "${ENABLE_SCHEDULED_SYNC:-1}" = 0 ] && INTERVAL_MINUTES=0
REQUESTS_TABLE="${STUDIO_BACKUP_REQUESTS_TABLE:-__REQUESTS_TABLE__}"
HISTORY_TABLE="${STUDIO_BACKUP_HISTORY_TABLE:-__HISTORY_TABLE__}"
RETENTION_TABLE="${STUDIO_BACKUP_RETENTION_TABLE:-__RETENTION_TABLE__}"
RESULTS_TABLE="${STUDIO_BACKUP_RESULTS_TABLE:-__RESULTS_TABLE__}"
# Installed without the backend: its placeholders are still there.
case "$REQUESTS_TABLE$HISTORY_TABLE" in *__*) REQUESTS_TABLE="" HISTORY_TABLE="" ;; esac
case "$RETENTION_TABLE$RESULTS_TABLE" in *__*) RETENTION_TABLE="" RESULTS_TABLE="" ;; esac
ARTIFACTS="${STUDIO_BACKUP_ARTIFACTS:-s3://$BUCKET/artifacts}"
PORT="${STUDIO_BACKUP_PORT:-8765}"
LOG="${STUDIO_BACKUP_LOG:-/var/log/apps/app_container.log}"
INSTALL_DIR="${STUDIO_BACKUP_INSTALL_DIR:-/var/tmp/studio-backup}"
METADATA="${STUDIO_BACKUP_METADATA:-/opt/ml/metadata/resource-metadata.json}"
HOME_DIR="${STUDIO_BACKUP_HOME:-/home/sagemaker-user}"
PIP="${STUDIO_BACKUP_PIP:-/opt/conda/bin/pip}"
FIRST_BACKUP_SECONDS="${STUDIO_BACKUP_FIRST_BACKUP:-60}"

mkdir -p "$(dirname "$LOG")" "$INSTALL_DIR"
log() { echo "$(date -u +%FT%TZ) studio-backup-lcc: $*" >>"$LOG"; }
# aws_logged aws <args>: its output passed on; an error (AccessDenied...) logged in one line, its status returned.
# `aws s3 ls` of a missing key fails with no message: that is "not there", not logged.
aws_logged() {
  local err="$INSTALL_DIR/aws-error.$$" rc args="$*"
  "$@" 2>"$err"
  rc=$?
  [ "$rc" -ne 0 ] && [ -s "$err" ] && log "FAILED: ${args:0:200}: $(grep -v '^[[:space:]]*$' "$err" | tail -n 1)"
  rm -f "$err"
  return "$rc"
}

# Whether node $1 is version $2.$3 or newer.
node_at_least() {
  "$1" -e "const [a, b] = process.versions.node.split('.').map(Number); process.exit(a > $2 || (a === $2 && b >= $3) ? 0 : 1)" 2>/dev/null
}

# A node that compresses with zstd (22.15 or newer: about a sixth of deflate's CPU), staged with the
# artifacts or the image's; with "any", else the first one that is 18 or newer (deflate then).
find_node() {
  local want=${1:-any} candidate
  local candidates=("$INSTALL_DIR/node/bin/node" "$(command -v node 2>/dev/null)")
  for candidate in "${candidates[@]}"; do
    [ -x "$candidate" ] && node_at_least "$candidate" 22 15 && { echo "$candidate"; return 0; }
  done
  [ "$want" = any ] || return 1
  for candidate in "${candidates[@]}"; do
    [ -x "$candidate" ] && node_at_least "$candidate" 18 0 && { echo "$candidate"; return 0; }
  done
  return 1
}

fetch_artifacts() {
  if [ -f "$INSTALL_DIR/studio-backup.js" ] && [ -z "${STUDIO_BACKUP_REFRESH:-}" ]; then
    return 0 # baked into the image or fetched at an earlier start
  fi
  aws_logged aws s3 cp --only-show-errors "$ARTIFACTS/studio-backup.js" "$INSTALL_DIR/studio-backup.js.tmp" &&
    mv "$INSTALL_DIR/studio-backup.js.tmp" "$INSTALL_DIR/studio-backup.js" || return 1
  if ! find_node zstd >/dev/null && aws_logged aws s3 ls "$ARTIFACTS/node.tar.gz" >/dev/null; then
    mkdir -p "$INSTALL_DIR/node" &&
      aws_logged aws s3 cp --only-show-errors "$ARTIFACTS/node.tar.gz" - | tar -xz -C "$INSTALL_DIR/node" --strip-components=1
  fi
}

install_extension() {
  [ "$APP_TYPE" = "JupyterLab" ] || return 0
  [ -x "$PIP" ] || { log "no $PIP: the Backups panel is not installed (backups still run)"; return 0; }
  local wheel
  local listing
  listing=$(aws_logged aws s3 ls "$ARTIFACTS/") || { log "FAILED: cannot list $ARTIFACTS/: the Backups panel is not installed (backups still run)"; return 1; }
  wheel=$(echo "$listing" | awk '/sagemaker_studio_backup-.*\.whl$/ {print $4}' | sort | tail -n 1)
  [ -n "$wheel" ] || { log "no extension wheel under $ARTIFACTS: the panel is not installed"; return 0; }
  if ! { aws_logged aws s3 cp --only-show-errors "$ARTIFACTS/$wheel" "$INSTALL_DIR/$wheel" &&
    "$PIP" install --quiet --no-deps "$INSTALL_DIR/$wheel" >>"$LOG" 2>&1; }; then
    log "FAILED: the Backups panel ($wheel) did not install (above)"
    return 1
  fi
  # A page reload shows the panel, but it reaches the agent only through the package's Jupyter
  # server extension, loaded when the server starts: restart it, as AWS's JupyterLab LCC examples do.
  if [ "${STUDIO_BACKUP_RESTART_JUPYTER:-1}" = 1 ] && command -v restart-jupyter-server >/dev/null; then
    if restart-jupyter-server >>"$LOG" 2>&1; then
      log "installed the Backups panel ($wheel); restarted the Jupyter server to load it: reload the JupyterLab page"
      return 0
    fi
    log "restart-jupyter-server failed (above)"
  fi
  log "installed the Backups panel ($wheel); reload the JupyterLab page to see it; it reaches the agent once the Jupyter server restarts (restart-jupyter-server in a terminal)"
}

APP_TYPE=$(sed -n 's/.*"AppType"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$METADATA" 2>/dev/null | head -n 1)
APP_TYPE="${APP_TYPE:-JupyterLab}"

PIDFILE="$INSTALL_DIR/supervisor.pid"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  log "the agent is already running (supervisor $(cat "$PIDFILE")): nothing to do"
  exit 0
fi

if [ "$BUCKET" = "__BUCKET__" ] || [ -z "$BUCKET" ]; then
  log "no backup bucket configured: run studio-backup install-lcc, or set STUDIO_BACKUP_BUCKET; not starting"
  exit 0
fi

# Everything below runs in the background; the lifecycle configuration returns at once.
(
  fetch_artifacts || log "could not fetch the agent from $ARTIFACTS (check the execution role's S3 access)"
  NODE=$(find_node) || { log "no Node.js 18 or newer in the image or the artifacts: backups are off"; exit 0; }
  [ -f "$INSTALL_DIR/studio-backup.js" ] || { log "no agent at $INSTALL_DIR/studio-backup.js: backups are off"; exit 0; }
  install_extension
  log "starting the agent (every $INTERVAL_MINUTES min, repository s3://$BUCKET/$PREFIX/<profile>/<space>)"
  # Supervision: restart the agent if it stops, after a pause that grows with quick failures.
  pause=5
  while true; do
    started=$(date +%s)
    HOME="$HOME_DIR" "$NODE" "$INSTALL_DIR/studio-backup.js" studio-start --bucket "$BUCKET" --prefix "$PREFIX" \
      --interval "$INTERVAL_MINUTES" --port "$PORT" --metadata "$METADATA" --home "$HOME_DIR" \
      --first-backup "$FIRST_BACKUP_SECONDS" --requests-table "$REQUESTS_TABLE" --history-table "$HISTORY_TABLE" \
      --retention-table "$RETENTION_TABLE" --results-table "$RESULTS_TABLE" >>"$LOG" 2>&1
    code=$?
    # 3: this space is not protected (a shared space), as the agent's line above says.
    [ "$code" = 3 ] && { log "backups are off for this space"; exit 0; }
    log "the agent stopped (exit $code); restarting in ${pause}s"
    sleep "$pause"
    if [ $(($(date +%s) - started)) -lt 60 ]; then pause=$((pause < 300 ? pause * 2 : 300)); else pause=5; fi
  done
) </dev/null >/dev/null 2>&1 &
echo $! >"$PIDFILE"
log "supervisor started (pid $!)"
exit 0
