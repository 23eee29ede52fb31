#!/usr/bin/env bash
# The house tools, as CI runs them: clang-format (.clang-format) must leave every C++ file as it
# is, and clang-tidy's chosen checks (.clang-tidy) must pass on src/. Needs a configured build/
# (compile_commands.json). Usage: scripts/lint.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'bench/*.hpp')
echo "lint: clang-format on ${#files[@]} files"
clang-format --dry-run --Werror "${files[@]}"

# Clang 14 does not see libstdc++'s <coroutine> as Asio expects; tell Asio it is there, and
# silence the GCC-only warning flags of the compile commands.
mapfile -t sources < <(git ls-files 'src/*.cpp')
echo "lint: clang-tidy on ${#sources[@]} files of src/"
run-clang-tidy -quiet -p "$build" -j "$(nproc)" \
  -extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 -extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1 \
  -extra-arg=-Wno-unknown-warning-option "${sources[@]/#/$PWD/}" >/tmp/inferbench-tidy.log 2>&1 || {
  sed "s/\x1b\[[0-9;]*m//g" /tmp/inferbench-tidy.log | grep -E "(warning|error):" | sort -u
  echo "lint: clang-tidy failed (full log: /tmp/inferbench-tidy.log)"
  exit 1
}
echo "lint: clean"
