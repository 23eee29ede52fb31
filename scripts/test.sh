#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds, runs the whole test suite under ctest, then the house
# tools (scripts/lint.sh: clang-format and clang-tidy).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300 "$@"
scripts/lint.sh build
