#!/usr/bin/env bash
# Validates what `inferbench k8s-job` prints, and the example in deploy/k8s, against the
# Kubernetes API's OpenAPI schemas (tests/k8s/validate.mjs); bad flags get one line and exit 2.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
source "$(dirname "$0")/../lib.sh"
IB=$(readlink -f "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
[ -d "$HERE/node_modules/kubernetes-models" ] || fail "$HERE/node_modules missing (run scripts/setup.sh)"
make_work

for n in 1 8 250; do
  "$IB" k8s-job --shards "$n" --image registry.example.com/inferbench:0.1.0 -- \
    --endpoint http://llm-d-inference-gateway.llmdbench.svc.cluster.local:80 --rate 500 --duration 60 \
    --input-tokens 1000 --output-tokens 200 > "$WORK/job-$n.yaml"
  (cd "$HERE" && node validate.mjs "$WORK/job-$n.yaml" --shards "$n")
done
# Arguments that look like numbers or YAML words stay strings.
"$IB" k8s-job --shards 2 --image img --name b2 --run-id 12345 -- --model on --seed 8080 > "$WORK/quoted.yaml"
(cd "$HERE" && node validate.mjs "$WORK/quoted.yaml" --shards 2)
grep -q '"12345"' "$WORK/quoted.yaml" || fail "the run id is not quoted"
for f in deploy/k8s/*.yaml; do (cd "$HERE" && node validate.mjs "$OLDPWD/$f"); done
[ -n "$(ls deploy/k8s/*.yaml)" ] || fail "no example in deploy/k8s"
# The example's Job is what k8s-job prints (regenerate it with the command in deploy/k8s/README.md).
grep -q 'completionMode: "Indexed"' deploy/k8s/inferbench-job.yaml || fail "deploy/k8s/inferbench-job.yaml is not an Indexed Job"

expect_usage_error() {  # expect_usage_error WANT ARGS...: exit 2, one line (stdout and stderr) holding WANT
  local want=$1
  shift
  set +e
  out=$("$IB" "$@" 2>&1)
  rc=$?
  set -e
  [ $rc -eq 2 ] || fail "exit $rc for: $* ($out)"
  [[ "$out" == *"$want"* ]] || fail "for: $*: expected '$want', got: $out"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "not one line: $out"
}
expect_usage_error "--shards must be 1 to 10000" k8s-job --shards 0 --image i
expect_usage_error "--name \"Bad_Name\"" k8s-job --shards 2 --image i --name Bad_Name
expect_usage_error "--output is set by k8s-job itself" k8s-job --shards 2 --image i -- --output /tmp/x
expect_usage_error "--shard is set by k8s-job itself" k8s-job --shards 2 --image i -- --shard 0/2
expect_usage_error "--image" k8s-job --shards 2
echo "PASS: k8s-job manifests and deploy/k8s valid against the Kubernetes schemas"
