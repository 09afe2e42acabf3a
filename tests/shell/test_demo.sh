#!/usr/bin/env bash
# `make demo` for real: prints a URL, JupyterLab answers it with the token, and the agent
# answers through the package's Jupyter server extension (auth applied: no token, no answer),
# not through jupyter-server-proxy (which has no secret, so the agent refuses it). On free ports
# and in a temporary folder, so a user's own JupyterLab is not in the way and their .demo/ is
# neither used nor left behind for a later `make demo`.
set -euo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp)
demo=$(mktemp -d)
mapfile -t ports < <(node scripts/free-port.js 2)
[ "${#ports[@]}" -eq 2 ] || { echo "no free ports"; exit 1; }
export STUDIO_BACKUP_PORT=${ports[0]} JUPYTER_PORT=${ports[1]} STUDIO_BACKUP_DEMO_DIR=$demo
# A session of its own (setsid does not fork here: a background job of this shell is no group
# leader), so the demo's pid is its process group: the agent and JupyterLab end with it.
setsid bash scripts/demo.sh >"$log" 2>&1 &
pgid=$!
trap 'node scripts/processes.js end-group "$pgid"; rm -rf "$log" "$demo"' EXIT

lab="http://127.0.0.1:$JUPYTER_PORT"
url=""
for _ in $(seq 1 240); do
  url=$(grep -o "$lab/lab?token=[0-9a-f]*" "$log" || true)
  if [ -n "$url" ] && curl -sf -o /dev/null "$url"; then break; fi
  kill -0 "$pgid" 2>/dev/null || break
  sleep 0.5
done
[ -n "$url" ] || { echo "demo printed no URL:"; cat "$log"; exit 1; }
token=${url##*token=}

agent="$lab/studio-backup/agent/$STUDIO_BACKUP_PORT/api/v1"
health=$(curl -sf -H "Authorization: token $token" "$agent/health")
echo "$health" | grep -q '"status":"ok"' || { echo "unexpected health: $health"; exit 1; }
echo "$health" | grep -qF "\"repository\":\"file://$demo/repository\"" || { echo "wrong repository: $health"; exit 1; }

code=$(curl -s -o /dev/null -w '%{http_code}' "$agent/health")
[ "$code" = 403 ] || { echo "the server extension answered $code without a token"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $token" "$lab/proxy/$STUDIO_BACKUP_PORT/api/v1/health")
[ "$code" = 403 ] || [ "$code" = 404 ] || { echo "the agent answered $code through jupyter-server-proxy"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Forwarded-Context: /proxy/$STUDIO_BACKUP_PORT" "http://127.0.0.1:$STUDIO_BACKUP_PORT/api/v1/health")
[ "$code" = 403 ] || { echo "the agent answered $code to a direct caller without its secret"; exit 1; }
[ -f "$demo/home/analysis.ipynb" ] || { echo "no sample home"; exit 1; }
# The panel is pointed at this demo's agent, not at the default port (someone else's agent).
settings=$(curl -sf -H "Authorization: token $token" "$lab/lab/api/settings/sagemaker-studio-backup:plugin")
# shellcheck disable=SC2016 # the quoted text is JavaScript, expanded by node, not by the shell
echo "$settings" | node -e '
  let text = ""; process.stdin.on("data", d => (text += d)).on("end", () => {
    const port = JSON.parse(text).settings.agentPort;
    if (port !== Number(process.argv[1])) { console.error(`the panel points at port ${port}`); process.exit(1); }
  });' "$STUDIO_BACKUP_PORT"
