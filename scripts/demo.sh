#!/usr/bin/env bash
# The local demo: JupyterLab with the Backups panel, a real agent, a sample home and a
# local file:// repository, all under .demo/ (gitignored). No AWS account needed.
# STUDIO_BACKUP_PORT, JUPYTER_PORT and STUDIO_BACKUP_DEMO_DIR change the ports and the folder
# (tests/shell/test_demo.sh runs it on free ports in a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/setup.sh
export PATH="$root/.venv/bin:$PATH"

port=${STUDIO_BACKUP_PORT:-8765}
lab_port=${JUPYTER_PORT:-8888}
demo="${STUDIO_BACKUP_DEMO_DIR:-$root/.demo}"
home="$demo/home"
repo="$demo/repository"
mkdir -p "$repo" "$demo/logs"

if [ ! -d "$home" ]; then
  echo "==> Creating a sample home in $home"
  node scripts/make-sample-home.js "$home"
fi

if [ ! -f "$repo/config" ]; then
  echo "==> Taking a first snapshot of the sample home"
  node lcc/bin/studio-backup.js backup --repo "file://$repo" --source "$home" --cache-dir "$demo/cache"
fi
STUDIO_BACKUP_CACHE_DIR="$demo/cache" node lcc/bin/studio-backup.js agent --port "$port" --repo "file://$repo" \
  --home "$home" --interval 60 >"$demo/logs/agent.log" 2>&1 &
agent_pid=$!
trap 'kill "$agent_pid" 2>/dev/null || true' EXIT INT TERM
sleep 0.5
if ! kill -0 "$agent_pid" 2>/dev/null; then
  echo "The agent did not start: $(tail -n 1 "$demo/logs/agent.log")" >&2
  exit 1
fi

# The panel finds its agent by the agentPort setting (8765 by default): the demo's own JupyterLab
# settings point it at this demo's agent, whatever the port, keeping any other setting made there.
settings="$demo/user-settings/sagemaker-studio-backup/plugin.jupyterlab-settings"
mkdir -p "$(dirname "$settings")"
# shellcheck disable=SC2016 # the quoted text is JavaScript, expanded by node, not by the shell
node -e '
  const fs = require("fs");
  const [file, port] = process.argv.slice(1);
  let current = {};
  if (fs.existsSync(file)) {
    try {
      current = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
      console.error(`${file} is not plain JSON (edited by hand?): left as it is; set agentPort to ${port} there.`);
      process.exit(0);
    }
  }
  fs.writeFileSync(file, JSON.stringify({ ...current, agentPort: Number(port) }, null, 2));
' "$settings" "$port"

token=$(node -e "process.stdout.write(require('crypto').randomBytes(16).toString('hex'))")
echo
echo "Studio Backup demo: open http://127.0.0.1:$lab_port/lab?token=$token"
echo "(agent on 127.0.0.1:$port, repository file://$repo; Ctrl+C stops both)"
echo
# answer_yes: one Ctrl+C stops JupyterLab (no "Shutdown this Jupyter server (y/[n])?" prompt).
jupyter lab --no-browser --ip=127.0.0.1 --port="$lab_port" --ServerApp.port_retries=0 --ServerApp.answer_yes=True \
  --LabApp.user_settings_dir="$demo/user-settings" \
  --ServerApp.root_dir="$home" --IdentityProvider.token="$token" --allow-root \
  >"$demo/logs/jupyterlab.log" 2>&1
