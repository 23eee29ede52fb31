#!/usr/bin/env bash
# `inferbench experiment` as a user runs it, against the built-in simulator: a factors matrix
# (the built-in sanity-matrix), a treatments file killed with SIGKILL mid-cell and resumed with
# the finished cell untouched byte for byte, Ctrl-C (exit 130, resumable), a finished cell whose
# settings changed, --repeat with different seeds and intervals, secrets kept out of every file,
# and one-line errors. Needs jq.
# Usage: experiment_e2e_test.sh path/to/inferbench
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
BIN=$1
make_work
# pid: the experiment started with setsid, killed as a process group (never -0: this script's).
on_exit() { [ "$pid" -gt 0 ] && kill -9 -- -"$pid" 2>/dev/null; }
pid=0
# Waits (up to 60 s) until the jq filter holds for the file.
wait_for() {  # wait_for FILE FILTER
  wait_until 60 jq -e "$2" "$1" >/dev/null 2>&1 || { echo "timed out waiting for $2 in $1"; return 1; }
}
# Each file's SHA-256 under a folder, sorted: what "untouched byte for byte" compares.
digest() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# 1. The built-in sanity-matrix: 2 profiles x 2 output lengths, one folder each, a combined CSV.
"$BIN" experiment sanity-matrix --output "$WORK/m" >"$WORK/m.out" 2>"$WORK/m.err"
check "sanity-matrix exits 0" test $? -eq 0
check "four cells, each done" test "$(cat "$WORK"/m/*/cell.json | jq -s '[.[] | select(.status == "done")] | length')" = 4
# sanity has two load points (concurrency 1 and 4), sanity-open one: 2*2 + 2*1 rows.
check "experiment.csv: a header and 6 rows" test "$(wc -l <"$WORK/m/experiment.csv")" = 7
check "the levels are columns" grep -q '^sanity-matrix,sanity-open_output_tokens-32,1,sanity-open,32,done,0,0,open,' \
  "$WORK/m/experiment.csv"
check "labels reach each summary.json" q jq -e '.labels == {purpose: "sanity", experiment: "sanity-matrix",
  cell: "sanity_output_tokens-32"}' "$WORK/m/sanity_output_tokens-32/summary.json"
check "the level reached the run" q jq -e '.config.workload.output_tokens == "32"' \
  "$WORK/m/sanity_output_tokens-32/summary.json"
check "the table has every cell" test "$(grep -c '  done$' "$WORK/m.out")" = 6
check "experiment.json lists the cells" q jq -e '(.cells | length) == 4 and .factors == ["profile", "workload.output_tokens"]' \
  "$WORK/m/experiment.json"
# A cell's profile.yaml runs by hand to the same settings.
"$BIN" run "$WORK/m/sanity_output_tokens-16/profile.yaml" --json >"$WORK/again.json" 2>/dev/null
check "a cell's profile.yaml reruns by hand" q jq -e --slurpfile a "$WORK/m/sanity_output_tokens-16/summary.json" \
  '(.config | del(.output)) == ($a[0].config | del(.output))' "$WORK/again.json"

# 2. SIGKILL mid-experiment, then resume: the finished cell is untouched, the rest run.
cat >"$WORK/t.yaml" <<'YAML'
name: slow
profile: sanity
constants:
  load.concurrency: [1]
  load.num_requests: 4
  workload.output_tokens: 100
  target.api_key: sk-never-in-a-file-42
treatments:
  - name: a
  - name: b
    workload.output_tokens: 90
  - name: c
    workload.output_tokens: 80
YAML
setsid "$BIN" experiment "$WORK/t.yaml" --output "$WORK/t" >/dev/null 2>&1 &
pid=$!
check "cell a finishes" wait_for "$WORK/t/a/cell.json" '.status == "done"'
check "cell b starts" wait_for "$WORK/t/b/cell.json" '.status == "running"'
kill -9 -- -"$pid"
wait "$pid" 2>/dev/null
digest "$WORK/t/a" >"$WORK/a.before"
"$BIN" experiment "$WORK/t.yaml" --output "$WORK/t" >"$WORK/t.out" 2>"$WORK/t.err"
check "the resumed experiment exits 0" test $? -eq 0
check "it says what it kept" grep -q "resuming $WORK/t: 1 of 3 runs finished earlier and are kept" "$WORK/t.err"
check "it discards the killed attempt" grep -q "$WORK/t/b: discarding an unfinished earlier attempt" "$WORK/t.err"
digest "$WORK/t/a" >"$WORK/a.after"
check "the finished cell is untouched, byte for byte" cmp -s "$WORK/a.before" "$WORK/a.after"
check "b and c are done" q jq -e -s 'map(.status) == ["done", "done"]' "$WORK/t/b/cell.json" "$WORK/t/c/cell.json"
check "b ran its own settings" q jq -e '.config.workload.output_tokens == "90"' "$WORK/t/b/summary.json"
check "the API key is in no file" bash -c "! grep -rq sk-never-in-a-file-42 '$WORK/t'"
check "the API key is in no output" bash -c "! grep -q sk-never-in-a-file-42 '$WORK/t.out' '$WORK/t.err'"

# 3. A finished cell whose settings changed is not silently kept.
sed -i 's/load.num_requests: 4/load.num_requests: 5/' "$WORK/t.yaml"
"$BIN" experiment "$WORK/t.yaml" --output "$WORK/t" >/dev/null 2>"$WORK/changed.err"
check "changed settings: exit 2" test $? -eq 2
check "changed settings: the message" test "$(cat "$WORK/changed.err")" = \
  "inferbench: $WORK/t/a was run with other settings than $WORK/t.yaml gives it now: give another --output, or remove that folder to run the cell again"

# 4. Ctrl-C (SIGINT to the process group, as a terminal sends it): exit 130, then resumable.
setsid "$BIN" experiment "$WORK/t.yaml" --output "$WORK/i" >/dev/null 2>"$WORK/i.err" &
pid=$!
check "ctrl-c: cell b starts" wait_for "$WORK/i/b/cell.json" '.status == "running"'
sleep 0.5
kill -INT -- -"$pid"
wait "$pid"
check "ctrl-c: exit 130" test $? -eq 130
check "ctrl-c: the cell says interrupted" q jq -e '.status == "interrupted" and .exit_code == 130' "$WORK/i/b/cell.json"
check "ctrl-c: the message says how to resume" grep -q "interrupted: 1 of 3 runs finished; the same command resumes" "$WORK/i.err"
check "ctrl-c: the combined CSV covers what finished" grep -q '^slow,a,1,a,done,0,0,closed,1,' "$WORK/i/experiment.csv"
check "ctrl-c: the interrupted cell's summary is valid JSON" q jq -e '.interrupted == true' "$WORK/i/b/summary.json"
"$BIN" experiment "$WORK/t.yaml" --output "$WORK/i" >/dev/null 2>&1
check "ctrl-c: resumed to completion" test "$(jq -r .status "$WORK"/i/*/cell.json | sort | uniq -c | awk '{print $1, $2}')" = "3 done"

# 5. --repeat: one folder per repeat, seeds seed and seed+1, intervals across them.
printf 'profile: sanity\nfactors:\n  load.concurrency: [[2, 3]]\n' >"$WORK/r.yaml"
"$BIN" experiment "$WORK/r.yaml" --output "$WORK/r" --repeat 2 >"$WORK/r.out" 2>/dev/null
check "repeat exits 0" test $? -eq 0
check "repeat: seeds 0 and 1" test "$(jq -r .config.seed "$WORK"/r/concurrency-2+3/repeat-{1,2}/summary.json | tr '\n' ' ')" = "0 1 "
check "repeat: labels carry the repeat" q jq -e '.labels.repeat == 2' "$WORK/r/concurrency-2+3/repeat-2/summary.json"
check "repeat: intervals across repeats" grep -q '^r,concurrency-2+3,0,c=2,requests_per_s,2,' "$WORK/r/experiment-repeats.csv"
check "repeat: the table says mean ± interval" grep -q '±' "$WORK/r.out"
digest "$WORK/r" >"$WORK/r.before"
"$BIN" experiment "$WORK/r.yaml" --output "$WORK/r" >/dev/null 2>"$WORK/r1.err"
check "the repeats are not discarded by a run without --repeat: exit 2" test $? -eq 2
check "... with a message" test "$(cat "$WORK/r1.err")" = \
  "inferbench: $WORK/r/concurrency-2+3 holds results of a run with --repeat: give another --output, or remove that folder"
digest "$WORK/r" >"$WORK/r.after"
check "... and kept byte for byte" cmp -s "$WORK/r.before" "$WORK/r.after"
mkdir -p "$WORK/f/a" && echo mine >"$WORK/f/a/notes.txt"
printf 'profile: sanity\ntreatments: [{name: a}]\n' >"$WORK/f.yaml"
"$BIN" experiment "$WORK/f.yaml" --output "$WORK/f" >/dev/null 2>"$WORK/f.err"
check "a folder that is not a cell's attempt stays: exit 2" test $? -eq 2
check "... and its file" test "$(cat "$WORK/f/a/notes.txt")" = mine
echo '{"status": 7, "exit_code": "x"}' >"$WORK/i/c/cell.json"
"$BIN" experiment "$WORK/t.yaml" --output "$WORK/i" --dry-run >"$WORK/hand.out" 2>&1
check "a hand-edited cell.json is not trusted, and no crash" grep -q "/i/c .*(not run)" "$WORK/hand.out"

# 5b. One server per treatment (llm-d's setup treatments): each cell launches its own, with
# the command kept out of every file as a secret.
P=$(free_port)
cat >"$WORK/l.yaml" <<YAML
profile: sanity
constants:
  target.endpoint: http://127.0.0.1:$P
  load.concurrency: [2]
  load.num_requests: 6
treatments:
  - name: fast
    launch.command: exec '$BIN' sim --port $P --ttft-ms 2 --itl-ms 1
  - name: slow
    launch.command: exec '$BIN' sim --port $P --ttft-ms 40 --itl-ms 1
YAML
"$BIN" experiment "$WORK/l.yaml" --output "$WORK/l" >/dev/null 2>"$WORK/l.err"
check "launch per treatment: exit 0" test $? -eq 0
check "launch per treatment: each cell has its server's log" grep -q "inferbench sim: serving" \
  "$WORK/l/fast/server.log" "$WORK/l/slow/server.log"
check "launch per treatment: each cell measured its own server" q jq -e -n \
  --slurpfile f "$WORK/l/fast/summary.json" --slurpfile s "$WORK/l/slow/summary.json" \
  '$f[0].runs[0].latency.ttft_ms.p50 < 20 and $s[0].runs[0].latency.ttft_ms.p50 > 40'
check "launch per treatment: the command is in no profile.yaml" bash -c "! grep -q -- '--ttft-ms' '$WORK'/l/*/profile.yaml"
check "launch per treatment: no server left" bash -c "! pgrep -f -- '^$BIN sim --port $P' >/dev/null"

# 6. One-line errors, exit 2.
printf 'profile: sanity\ntreatments:\n  - name: a\n    load.concurency: 2\n' >"$WORK/bad.yaml"
expect_error "typo in a treatment" \
  "inferbench: $WORK/bad.yaml:4: unknown key 'load.concurency' (did you mean 'load.concurrency'?)" \
  experiment "$WORK/bad.yaml" --output "$WORK/bad"
check "a bad file runs nothing" test ! -e "$WORK/bad"
printf 'profile: sanity\ntreatments:\n  - {name: a}\n  - {name: b, workload.dataset: "sharegpt:/no/such.json"}\n' >"$WORK/late.yaml"
"$BIN" experiment "$WORK/late.yaml" --output "$WORK/late" >/dev/null 2>"$WORK/late.err"
check "a bad cell is found before any runs: exit 2" test $? -eq 2
check "a bad cell is named" grep -q "^inferbench: $WORK/late.yaml: cell 'b': " "$WORK/late.err"
check "a bad cell runs nothing" test ! -e "$WORK/late"
expect_error "no output" \
  "inferbench: experiment: --output DIR is required (it is also where a stopped experiment resumes)" \
  experiment sanity-matrix
expect_error "no such experiment" \
  "inferbench: nope: no such file, nor a built-in experiment (oci-all-four, sanity-matrix)" experiment nope --output x
"$BIN" experiment --list >"$WORK/list.txt"
check "--list names the built-in ones" grep -q '^oci-all-four ' "$WORK/list.txt"
"$BIN" experiment oci-all-four --show >"$WORK/show.yaml"
check "--show prints a file that runs as is" q "$BIN" experiment "$WORK/show.yaml" --dry-run --output "$WORK/dry"
check "--dry-run runs nothing" test ! -e "$WORK/dry"

summary experiment_e2e
