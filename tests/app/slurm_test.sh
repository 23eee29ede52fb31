#!/usr/bin/env bash
# Shards under a real Slurm: starts a one-node Slurm cluster from Debian's packages (munge,
# slurmctld, slurmd; no cgroups: proctrack/linuxproc, task/none), one `inferbench sim` as the
# shared target, runs `srun -n 4 inferbench run --shard auto …`, merges the shards, and checks
# that every request is accounted exactly once and that counts and token totals equal a
# single-process run of the same seeded workload. Needs root (the daemons run as root here);
# skips (exit 77) only when not root. Usage: slurm_test.sh path/to/inferbench
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
IB=$(readlink -f "$1")
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the Slurm test starts munged, slurmctld and slurmd, which needs root (CI runs it as root)"
  exit 77
fi
for tool in munged slurmctld slurmd srun sinfo jq; do
  command -v "$tool" >/dev/null || fail "$tool not found (scripts/setup.sh installs slurm-wlm munge jq)"
done

T=$(mktemp -d /tmp/inferbench-slurm.XXXXXX)
chmod 755 "$T"
PIDS=()
# Stops what this script started, last started first (slurmd before slurmctld before munged:
# a job step finishing needs them), each given 5 s before SIGKILL.
stop() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  # Job steps end before the daemons do (a step left behind holds slurmd).
  if [ -n "${SLURM_CONF:-}" ]; then
    for _ in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.1; done
  fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop "${PIDS[i]}"; done
  if [ $rc -ne 0 ]; then
    for log in "$T"/*.log; do echo "--- $log"; tail -n 30 "$log"; done
  fi
  rm -rf "$T"
  exit $rc
}
trap cleanup EXIT

# munge: a fresh key and socket of this test's own, so a host's munge is never touched.
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge.key"
munged --foreground --force --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
  --log-file="$T/munged.log" --seed-file="$T/munged.seed" > "$T/munged.out" 2>&1 &
PIDS+=($!)

HOST=$(hostname -s)
CPUS=$(nproc)
mkdir -p "$T/state" "$T/spool"
cat > "$T/slurm.conf" <<CONF
ClusterName=inferbench-test
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF="$T/slurm.conf"
wait_until 5 test -S "$T/munge.sock" || fail "munged did not start"
slurmctld -D -i -f "$SLURM_CONF" > "$T/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" > "$T/slurmd.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n1 || true)
  [ "$state" = "idle" ] && break
  sleep 0.2
done
[ "$state" = "idle" ] || fail "the Slurm node did not come up (state '$state')"

# One simulator: the shared target of every shard and of the single-process run.
SIM_PORT=$(free_port)
"$IB" sim --port "$SIM_PORT" --ttft-ms 20 --itl-ms 2 > "$T/sim.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$SIM_PORT/v1/models" >/dev/null && break; sleep 0.1; done

WORKLOAD=(--endpoint "http://127.0.0.1:$SIM_PORT" --rate 80 --arrival poisson --num-requests 160 --warmup 4
          --input-tokens uniform:16:64 --output-tokens uniform:4:24 --seed 11 --no-server-metrics)
START=$(( $(date +%s) + 4 ))
# -O: four tasks on however many CPUs the machine has.
srun -n 4 -O --kill-on-bad-exit=1 "$IB" run --shard auto --start-at "$START" "${WORKLOAD[@]}" --output "$T/out" \
  > "$T/srun.log" 2>&1 || fail "srun failed: $(tail -n 5 "$T/srun.log")"
for k in 0 1 2 3; do
  [ "$(jq -r '.shard.index, .shard.count' "$T/out/shard-$k/summary.json" | paste -sd/)" = "$k/4" ] || fail "shard-$k is not shard $k/4"
done
[ "$(jq -r .run_id "$T"/out/shard-*/summary.json | sort -u | wc -l)" = 1 ] || fail "the shards have different run ids"
"$IB" merge "$T/out" --output "$T/merged" > "$T/merge.log" 2>&1 || fail "merge failed: $(cat "$T/merge.log")"
"$IB" run "${WORKLOAD[@]}" --output "$T/single" > "$T/single.log" 2>&1 || fail "the single run failed"

# Every request exactly once: ids 0..163, each in one shard, each in the merged records.
ids=$(jq -r .id "$T"/out/shard-*/requests.jsonl | sort -n | uniq -c | awk '$1 != 1' | wc -l)
[ "$ids" = 0 ] || fail "$ids request ids appear more than once across the shards"
[ "$(jq -r .id "$T/merged/requests.jsonl" | sort -n | uniq | wc -l)" = 164 ] || fail "the merge does not hold 164 requests"
[ "$(jq -r .id "$T/merged/requests.jsonl" | sort -n | tail -n1)" = 163 ] || fail "request ids are not 0..163"
# Each shard sent its own slice: id mod 4 = shard index.
for k in 0 1 2 3; do
  bad=$(jq -r --argjson k "$k" 'select(.id % 4 != $k) | .id' "$T/out/shard-$k/requests.jsonl" | wc -l)
  [ "$bad" = 0 ] || fail "shard $k sent $bad requests of other shards"
done
# Counts and token totals equal the single process's exactly.
for key in .requests.completed .requests.failed .requests.warmup .tokens.input .tokens.output; do
  m=$(jq -r ".runs[0]$key" "$T/merged/summary.json")
  s=$(jq -r ".runs[0]$key" "$T/single/summary.json")
  [ "$m" = "$s" ] || fail "$key: merged $m, single process $s"
done
[ "$(jq -r '.runs[0].requests.completed' "$T/merged/summary.json")" = 160 ] || fail "not 160 completed requests"
# Per request, the merged and the single run sent the same prompt and output lengths.
diff <(jq -r '[.id, .input_tokens, .output_tokens, .warmup] | @tsv' "$T/merged/requests.jsonl" | sort -n) \
     <(jq -r '[.id, .input_tokens, .output_tokens, .warmup] | @tsv' "$T/single/requests.jsonl" | sort -n) \
  || fail "the merged requests differ from the single run's"
# Latencies within timing noise of the single run: same server, same schedule.
m=$(jq -r '.runs[0].latency.ttft_ms.p50' "$T/merged/summary.json")
s=$(jq -r '.runs[0].latency.ttft_ms.p50' "$T/single/summary.json")
awk -v m="$m" -v s="$s" 'BEGIN { exit !(m > 0 && s > 0 && m < s * 1.5 + 5 && s < m * 1.5 + 5) }' \
  || fail "TTFT p50 merged $m ms vs single $s ms"
# The shards started together: on the merged clock, each request's intended send minus its
# offset in the schedule (the single run's sched_ns minus its request 0's) is its shard's start.
spread=$(jq -n --slurpfile m "$T/merged/requests.jsonl" --slurpfile s "$T/single/requests.jsonl" '
  ($s | map({key: (.id | tostring), value: .sched_ns}) | from_entries) as $single
  | [$m[] | .sched_ns - ($single[.id | tostring] - $single["0"])] | (max - min) / 1e6')
awk -v d="$spread" 'BEGIN { exit !(d < 20) }' || fail "the shards' starts are $spread ms apart"
echo "PASS: 4 Slurm tasks, 164 requests each once; merged = single process (completed, failed, tokens); TTFT p50 $m vs $s ms; starts within $spread ms"
