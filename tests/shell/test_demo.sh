#!/usr/bin/env bash
# `make demo` for real: prints a URL, JupyterLab answers it with the token, and the agent
# answers through the Jupyter server's proxy (auth applied: no token, no answer).
set -euo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp)
export STUDIO_BACKUP_PORT=18765 JUPYTER_PORT=18888
setsid bash scripts/demo.sh >"$log" 2>&1 &
pgid=$!
trap 'kill -- -"$pgid" 2>/dev/null || true; rm -f "$log"' EXIT

url=""
for _ in $(seq 1 240); do
  url=$(grep -o 'http://127.0.0.1:18888/lab?token=[0-9a-f]*' "$log" || true)
  if [ -n "$url" ] && curl -sf -o /dev/null "$url"; then break; fi
  sleep 0.5
done
[ -n "$url" ] || { echo "demo printed no URL:"; cat "$log"; exit 1; }
token=${url##*token=}

health=$(curl -sf -H "Authorization: token $token" "http://127.0.0.1:18888/proxy/18765/api/v1/health")
echo "$health" | grep -q '"status":"ok"' || { echo "unexpected health: $health"; exit 1; }
echo "$health" | grep -q '"repository":"file://.*\.demo/repository"' || { echo "wrong repository: $health"; exit 1; }

code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:18888/proxy/18765/api/v1/health")
[ "$code" = 403 ] || [ "$code" = 302 ] || { echo "the proxy answered $code without a token"; exit 1; }
[ -f .demo/home/analysis.ipynb ] || { echo "no sample home"; exit 1; }
