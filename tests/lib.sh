# shellcheck shell=bash
# Helpers shared by the shell tests under tests/; a test sources it before anything else:
#   source "$(dirname "$0")/../lib.sh"
# Tests that count (every check counts; the last line says how many passed and failed):
#   check "what" CMD...       runs CMD: a pass, or "FAIL: what" on stderr and a failure
#   check_jq "what" FILE EXPR a check that `jq -e EXPR FILE` holds (what jq prints discarded)
#   q CMD...                  runs CMD with its stdout discarded (jq -e prints what it tests)
#   expect_error "what" "stderr" ARGS...
#                             `$BIN ARGS` must exit 2 and print exactly "stderr": two checks
#   summary NAME              prints "NAME: P passed, F failed"; the script's last command, so
#                             its status (non-zero on any failure) is the script's
# Tests that stop at the first failure:
#   fail MESSAGE...           prints "SCRIPT: FAIL: MESSAGE" on stderr (SCRIPT: the test's file
#                             name without .sh) and exits 1
# Either kind of test:
#   make_work                 WORK: a new temporary folder, removed when the script exits, after
#                             the script's own on_exit (define it to stop what the test started;
#                             set no EXIT trap of your own: it would replace this one)
#   free_port                 prints a TCP port that is free on 127.0.0.1 now
#   wait_until SECONDS CMD... runs CMD every 0.1 s until it succeeds; status 1 if it never did
#   wait_health PORT SECONDS  wait_until the server on 127.0.0.1:PORT answers GET /health (2xx)
#   sim_port FILE SECONDS     prints the port that `inferbench sim --port 0` wrote to FILE in its
#                             "serving ... on http://127.0.0.1:PORT" line; status 1 if none came
# bash only; it sets no shell options (each test keeps its own set -u/-e).

passes=0
failures=0
check() {  # check "what" CMD...
  local what=$1; shift
  if "$@"; then passes=$((passes + 1)); else echo "FAIL: $what" >&2; failures=$((failures + 1)); fi
}
check_jq() {  # check_jq "what" FILE EXPR
  check "$1" q jq -e "$3" "$2"
}
q() { "$@" >/dev/null; }
expect_error() {  # expect_error "what" "expected stderr" ARGS...   (needs BIN and WORK)
  local what=$1 expected=$2; shift 2
  # shellcheck disable=SC2154  # BIN is the test's own
  "$BIN" "$@" >"$WORK/e.out" 2>"$WORK/e.err"
  local rc=$?
  check "$what: exit 2" test $rc -eq 2
  check "$what: message" test "$(cat "$WORK/e.err")" = "$expected"
}
summary() {  # summary NAME
  echo "$1: $passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}

fail() {
  local name=${0##*/}
  echo "${name%.sh}: FAIL: $*" >&2
  exit 1
}

make_work() {
  WORK=$(mktemp -d) || exit 1
  trap _lib_exit EXIT
}
_lib_exit() {
  # `|| true`: a failing step of on_exit neither stops the clean-up nor, under set -e, changes
  # the script's exit status.
  if declare -F on_exit >/dev/null; then on_exit || true; fi
  rm -rf "$WORK"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_until() {  # wait_until SECONDS CMD...   (whole seconds)
  local tries=$(($1 * 10)); shift
  while ((tries-- > 0)); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}
wait_health() {  # wait_health PORT SECONDS
  wait_until "$2" curl -sf "http://127.0.0.1:$1/health" >/dev/null
}
sim_port() {  # sim_port FILE SECONDS
  wait_until "$2" grep -q 'http://127\.0\.0\.1:[0-9]' "$1" 2>/dev/null || return 1
  sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$1" | head -n 1
}
