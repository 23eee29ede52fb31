#!/usr/bin/env bash
# Starts `inferbench sim` on a free port and runs the official OpenAI Node SDK against it
# (tests/node/openai_sdk_stream.mjs). Usage: openai_sdk_test.sh path/to/inferbench
# Fails (never skips) when the SDK is not installed: scripts/setup.sh installs it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"

inferbench=${1:?usage: openai_sdk_test.sh path/to/inferbench}
repo=$(cd "$(dirname "$0")/../.." && pwd)
node_dir=${INFERBENCH_NODE_DIR:-$repo/tests/node}

if [ ! -d "$node_dir/node_modules/openai" ]; then
  echo "openai_sdk_test: $node_dir/node_modules/openai is missing;" \
       "run scripts/setup.sh (or: cd tests/node && npm ci) to install the OpenAI SDK" >&2
  exit 1
fi
command -v node >/dev/null || { echo "openai_sdk_test: node not found; run scripts/setup.sh" >&2; exit 1; }

make_work
sim_pid=""
on_exit() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
}

# Short latencies keep the test quick; the answers' shape does not depend on them.
"$inferbench" sim --port 0 --ttft-ms 5 --itl-ms 2 >"$WORK/sim.out" 2>"$WORK/sim.err" &
sim_pid=$!

# First stdout line: "inferbench sim: serving model '...' on http://127.0.0.1:PORT (...)".
url=""
for _ in $(seq 1 100); do
  if ! kill -0 "$sim_pid" 2>/dev/null; then
    echo "openai_sdk_test: inferbench sim exited early:" >&2
    cat "$WORK/sim.out" "$WORK/sim.err" >&2
    exit 1
  fi
  url=$(head -n 1 "$WORK/sim.out" | grep -o 'http://[0-9.]*:[0-9]*' || true)
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "openai_sdk_test: no 'serving ... on http://HOST:PORT' line from inferbench sim within 10 s" >&2
  cat "$WORK/sim.out" "$WORK/sim.err" >&2
  exit 1
fi

healthy=0
for _ in $(seq 1 50); do
  if node -e "fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
       "$url/health"; then
    healthy=1
    break
  fi
  sleep 0.1
done
if [ "$healthy" != 1 ]; then
  echo "openai_sdk_test: $url/health did not answer 200 within 5 s" >&2
  exit 1
fi

cd "$node_dir"
node openai_sdk_stream.mjs "$url"
