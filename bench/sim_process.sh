# Sourced by the bench scripts that run `inferbench sim` in its own process (bash).
#   sim_start PORT COMMAND...   starts COMMAND (an `inferbench sim --port PORT ...` line, maybe
#                               behind taskset) in the background, output to $TMP/sim.log, and
#                               waits until PORT accepts connections; sets SIM_PID
#   sim_cpu                     the simulator's utime+stime so far, in seconds
#   sim_stop                    Ctrl-C and wait (flushes its --trace); safe to call twice
# Needs TMP (a scratch directory) set by the caller.

SIM_PID=""

sim_start() {
  local port=$1
  shift
  "$@" >"$TMP/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "the simulator did not start:" >&2
  cat "$TMP/sim.log" >&2
  return 1
}

sim_cpu() {
  awk -v tck="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / tck }' "/proc/$SIM_PID/stat"
}

sim_stop() {
  if [[ -n "$SIM_PID" ]]; then
    kill -INT "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=""
  fi
}
