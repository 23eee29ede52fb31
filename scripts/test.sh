#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds, and runs the whole test suite under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300 "$@"
