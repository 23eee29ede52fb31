#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang in build-fuzz and runs each for a while.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_JOBS (build jobs, nproc), FUZZ_RSS_MB (2048),
# FUZZ_KEEP_GOING=1 (libFuzzer's -fork=1 -ignore_crashes=1: keep fuzzing past a known crash for the
# whole time; every crash is still saved and reported).
# Per target, under $FUZZ_BUILD_DIR/fuzz/TARGET/: corpus/ (inputs found so far, kept between
# runs), seeds/ (copied from the repo's test data at each run), crashes/ (crash-*, leak-*,
# timeout-*, oom-* files). Committed seeds are tests/fuzz/corpus/TARGET/; known crashing inputs
# are tests/fuzz/regressions/TARGET/ (replayed first: one that crashes again fails the run).
# Exits 1 when a target crashed or a regression input crashes again (the file is named in the
# report), 2 on a build failure. CI runs `scripts/fuzz.sh 10` (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(sse_fuzz chunk_decoder_fuzz http_response_fuzz prometheus_fuzz sharegpt_fuzz jsonl_fuzz
             tokenizer_fuzz config_yaml_fuzz flowgpt_log_fuzz mooncake_trace_fuzz azure_trace_fuzz requests_jsonl_replay_fuzz vllm_log_fuzz
             results_fuzz)
SECONDS_PER_TARGET="${1:-60}"
if [ $# -gt 0 ]; then shift; fi
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then TARGETS=("${ALL_TARGETS[@]}"); fi
for t in "${TARGETS[@]}"; do
  case " ${ALL_TARGETS[*]} " in *" $t "*) ;; *) echo "fuzz: unknown target '$t' (${ALL_TARGETS[*]})" >&2; exit 2 ;; esac
done
BUILD="${FUZZ_BUILD_DIR:-build-fuzz}"
JOBS="${FUZZ_JOBS:-$(nproc)}"
RSS_MB="${FUZZ_RSS_MB:-2048}"
CXX_FUZZ="${CXX_FUZZ:-clang++}"
command -v "$CXX_FUZZ" >/dev/null || { echo "fuzz: $CXX_FUZZ not found (apt-get install clang libfuzzer-14-dev)" >&2; exit 2; }

start=$(date +%s)
# Debug with -O1 and line tables: builds about twice as fast as RelWithDebInfo, still fuzzes fast.
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  CXX="$CXX_FUZZ" cmake -S . -B "$BUILD" -G Ninja -DINFERBENCH_FUZZ=ON -DINFERBENCH_TESTS=ON -DINFERBENCH_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG='-O1 -gline-tables-only' \
    -DCMAKE_CXX_FLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer' >/dev/null || exit 2
fi
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}" >"$BUILD/fuzz-build.log" 2>&1 || {
  tail -n 40 "$BUILD/fuzz-build.log" >&2; echo "fuzz: build failed (log: $BUILD/fuzz-build.log)" >&2; exit 2; }
built=$(date +%s)
echo "fuzz: built ${#TARGETS[@]} target(s) in $((built - start)) s"

# Seeds from the repo's test data, copied at each run (not committed under tests/fuzz/corpus).
# SSE and HTTP inputs start with one byte saying how many read sizes follow: '0' = none.
seed() {
  local t=$1 dir=$2 f n
  case $t in
    sse_fuzz)
      for f in tests/protocol/data/*.sse; do { printf 0; cat "$f"; } >"$dir/$(basename "$f")"; done ;;
    chunk_decoder_fuzz)  # every event's data of the recorded streams
      n=0
      for f in tests/protocol/data/*.sse; do
        while IFS= read -r line; do
          case $line in "data: "*) n=$((n + 1)); printf '%s' "${line#data: }" >"$dir/event_$n" ;; esac
        done <"$f"
      done ;;
    http_response_fuzz)  # the recorded streams framed as chunked responses, plus one with Content-Length
      for f in tests/protocol/data/*.sse; do
        {
          printf '0HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'
          while IFS= read -r line; do printf '%x\r\n%s\n\r\n' $((${#line} + 1)) "$line"; done < <(LC_ALL=C cat "$f")
          printf '0\r\n\r\n'
        } >"$dir/$(basename "$f")"
        { printf '0HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' "$(wc -c <"$f")"; cat "$f"; } >"$dir/cl_$(basename "$f")"
      done ;;
    prometheus_fuzz) cp tests/protocol/data/*.prom "$dir/" ;;
    jsonl_fuzz)  # the tokenizer test corpus and golden files are JSON Lines too
      head -n 40 tests/tokenizer/corpus.jsonl >"$dir/corpus_head.jsonl"
      for f in tests/tokenizer/golden/*.jsonl; do head -n 20 "$f" >"$dir/golden_$(basename "$f")"; done ;;
    sharegpt_fuzz)  # JSON documents of the other targets make structural seeds
      cp tests/fuzz/corpus/jsonl_fuzz/* "$dir/" 2>/dev/null || true ;;
    tokenizer_fuzz)  # the real tokenizer.json files are megabytes: too slow per execution, not seeded
      ;;
    config_yaml_fuzz) ;;
    flowgpt_log_fuzz) cp tests/replay/data/*.log "$dir/" ;;
    mooncake_trace_fuzz) cp tests/replay/data/mooncake_*.jsonl "$dir/" ;;
    requests_jsonl_replay_fuzz) cp tests/replay/data/inferbench_*.jsonl "$dir/" ;;
    azure_trace_fuzz) cp tests/replay/data/*.csv "$dir/" ;;
    vllm_log_fuzz) cp tests/loadtime/data/*.log "$dir/" ;;
    results_fuzz) cp tests/replay/data/inferbench_*.jsonl "$dir/" ;;  # requests.jsonl of real runs
  esac
}

LC_ALL=C
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
report=()
for t in "${TARGETS[@]}"; do
  bin="$BUILD/tests/fuzz/$t"
  work="$BUILD/fuzz/$t"
  rm -rf "$work/seeds"
  mkdir -p "$work/corpus" "$work/seeds" "$work/crashes"
  seed "$t" "$work/seeds"

  # The regression inputs crashed once and were fixed (docs/fuzzing.md): one that crashes again
  # is a regression, and fails the run like a new crash.
  known=""
  if [ -d "tests/fuzz/regressions/$t" ]; then
    for f in tests/fuzz/regressions/"$t"/*; do
      [ -f "$f" ] || continue
      if ! "$bin" -rss_limit_mb="$RSS_MB" "$f" >"$work/regression.log" 2>&1; then
        known+=" $(basename "$f")"
        cp "$work/regression.log" "$work/regression-$(basename "$f").log"
      fi
    done
  fi

  log="$work/fuzz.log"
  before=$(ls "$work/crashes" | wc -l)
  set +e
  keep_going=()
  if [ "${FUZZ_KEEP_GOING:-0}" = 1 ]; then keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1); fi
  "$bin" "${keep_going[@]}" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_MB" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" "$work/corpus" "tests/fuzz/corpus/$t" "$work/seeds" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ -z "$execs" ]; then execs=$(sed -n 's/^#\([0-9]*\):* .*/\1/p' "$log" | tail -n 1); fi  # fork mode
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 || true)
  crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  new_crashes=$(( $(ls "$work/crashes" | wc -l) - before ))
  line="$t: ${execs:-?} executions in ${SECONDS_PER_TARGET} s, ${cov:-cov: ?}, corpus $(ls "$work/corpus" | wc -l) files"
  if [ -n "$known" ]; then
    status=1
    line+=" -- REGRESSION: fixed crashes reproduce again:$known (logs: $work/regression-*.log)"
  fi
  if [ $rc -ne 0 ] || [ "$new_crashes" -gt 0 ]; then
    status=1
    line+=" -- CRASH (exit $rc, $new_crashes new file(s) in $work/crashes): ${crash:-see $log}"
    grep -m1 -E '^==[0-9]+==ERROR|runtime error|deadly signal|terminate called|ERROR: libFuzzer' "$log" | sed 's/^/    /' || true
  fi
  echo "$line"
  report+=("$line")
done
echo "fuzz: done in $(($(date +%s) - start)) s (build $((built - start)) s)"
exit $status
