#!/usr/bin/env bash
# An agent-<port>.json that is a folder (or any non-file) is an unreadable record, which the panel
# words ("agent-record-unreadable"), not an uncaught IsADirectoryError (a 500 with a stack trace).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/agent-8765.json"
.venv/bin/python - "$dir" <<'PY'
import sys

from sagemaker_studio_backup.handlers import AgentUnavailable, read_record

try:
    read_record([sys.argv[1]], 8765)
except AgentUnavailable as err:
    assert err.reason == "agent-record-unreadable", err.reason
    assert err.details["path"].endswith("agent-8765.json"), err.details
    assert err.details["detail"], err.details
    print("AgentUnavailable:", err.reason, err.details["detail"])
else:
    raise SystemExit("read_record accepted a folder")
PY
