#!/usr/bin/env bash
# Regenerates the generated block of docs/profiles.md (every key and the built-in profiles)
# between its BEGIN/END GENERATED markers. Usage: scripts/update-profiles-doc.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/src/app/inferbench}
DOC=docs/profiles.md
BLOCK=$(mktemp)
trap 'rm -f "$BLOCK" "$DOC.new"' EXIT
"$BIN" profiles reference > "$BLOCK"
awk -v block="$BLOCK" '
  /^<!-- BEGIN GENERATED -->$/ { print; while ((getline line < block) > 0) print line; skip = 1; next }
  /^<!-- END GENERATED -->$/ { skip = 0 }
  !skip { print }
' "$DOC" > "$DOC.new"
mv "$DOC.new" "$DOC"
