#!/usr/bin/env bash
# Builds a target that links only `metrics` but includes a loadgen header: it must fail to
# compile, and for that reason (the header is not on its include path), not another.
# Usage: layering_test.sh BUILD_DIR
set -u
if out=$(cmake --build "$1" --target layering_violation 2>&1); then
  echo "layering_test: a metrics file compiled with a loadgen include: the layering is not enforced"
  exit 1
fi
if ! grep -q 'loadgen/worker.hpp: No such file' <<<"$out"; then
  echo "$out"
  echo "layering_test: the build failed, but not because the loadgen header was out of reach"
  exit 1
fi
echo "layering_test: the include across the layering did not compile, as it must"
