#!/usr/bin/env bash
# Runs the C++ tokenizer benchmark and the HF reference (npm tokenizers) on the same corpus and prints
# MB/s side by side. Usage: bench/tokenizer_compare.sh [build-dir]   (default: build)
# Needs: the tokenizer_bench target built, and `(cd tests/tokenizer/node && npm ci)`.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bench="$build/bench/tokenizer_bench"
[[ -x $bench ]] || { echo "missing $bench: cmake --build $build --target tokenizer_bench" >&2; exit 1; }
[[ -d tests/tokenizer/node/node_modules/tokenizers ]] || {
  echo "missing reference: (cd tests/tokenizer/node && npm ci)" >&2; exit 1; }
ours=$(mktemp) ; theirs=$(mktemp)
trap 'rm -f "$ours" "$theirs"' EXIT
taskset -c 0 "$bench" --benchmark_filter='Encode' --benchmark_format=json >"$ours" 2>/dev/null ||
  "$bench" --benchmark_filter='Encode' --benchmark_format=json >"$ours"
RAYON_NUM_THREADS=1 node bench/tokenizer_reference_bench.js >"$theirs"
node - "$ours" "$theirs" <<'JS'
const fs = require('fs');
const ours = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')).benchmarks;
const theirs = fs.readFileSync(process.argv[3], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
console.log('benchmark'.padEnd(24) + 'inferbench MB/s'.padStart(16) + 'HF tokenizers MB/s'.padStart(20) + 'ratio'.padStart(8));
for (const t of theirs) {
  const o = ours.find((b) => b.name.startsWith(t.name));
  const mine = o ? o.bytes_per_second / 1e6 : NaN;
  console.log(t.name.padEnd(24) + mine.toFixed(1).padStart(16) + t.mb_per_s.toFixed(2).padStart(20) +
    (mine / t.mb_per_s).toFixed(1).padStart(7) + 'x');
}
JS
