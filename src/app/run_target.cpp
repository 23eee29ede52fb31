#include "app/run_target.hpp"

#include <sys/resource.h>

#include <fmt/core.h>

#include <algorithm>

#include "app/signals.hpp"
#include "core/error.hpp"
#include "loadgen/probe.hpp"
#include "protocol/openai.hpp"

namespace inferbench::app {

std::unique_ptr<sim::SimServer> start_simulator(const RunConfig& config, loadgen::HttpTargetOptions& target) {
  if (!config.use_sim) return nullptr;
  sim::SimOptions options;
  options.port = 0;
  if (config.sim.latency_profile) {
    options.ttft_ms = to_ms(config.sim.ttft);
    options.itl_ms = to_ms(config.sim.itl);
  } else {
    options.model_preset = config.sim.model_preset;
    options.hardware = config.sim.hardware;
  }
  options.tokenizer_path = config.tokenizer_path;  // the simulator then counts exactly as the client
  auto simulator = std::make_unique<sim::SimServer>(options);
  simulator->start();
  target.client.url = http::Url::parse(fmt::format("http://127.0.0.1:{}", simulator->port()));
  fmt::print(stderr,
             "inferbench: no --endpoint given: benchmarking the built-in simulator ({}) at {} over loopback HTTP\n",
             simulator->describe(), target.client.url.str());
  return simulator;
}

void warn_if_short_of_descriptors(const RunConfig& config) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  int connections = 0;  // the most a load point holds open (an uncapped open loop: unknown)
  for (const PlannedPoint& p : config.points) connections = std::max(connections, p.load.concurrency);
  // One descriptor per connection, two when the simulator in this process holds the other end;
  // a few dozen for files, the metrics endpoint and scrapes.
  const auto needed = static_cast<rlim_t>(connections) * (config.use_sim ? 2 : 1) + 64;
  if (connections == 0 || needed <= limit.rlim_cur) return;
  fmt::print(stderr,
             "inferbench: warning: {} connections{} need about {} file descriptors, and this process may open {}: "
             "connects beyond that fail (raise `ulimit -n`{})\n",
             connections, config.use_sim ? " to the built-in simulator in this process" : "", needed, limit.rlim_cur,
             config.use_sim ? ", or run `inferbench sim` as its own process" : "");
}

bool check_target(loadgen::HttpTargetOptions& target) {
  const auto probe = loadgen::http_get(target, "/v1/models",
                                       std::min<Duration>(target.client.connect_timeout * 2, std::chrono::seconds(30)),
                                       stop_requested);
  if (probe.outcome.kind == http::Outcome::Kind::Cancelled) return false;
  if (probe.outcome.kind != http::Outcome::Kind::Complete) {
    throw Error("cannot reach " + target.client.url.str() + ": " + probe.outcome.detail);
  }
  if (!target.model.empty()) return true;
  require(probe.status == 200, fmt::format("--model not given and GET {}/v1/models answered HTTP {}",
                                           target.client.url.str(), probe.status));
  const auto model = protocol::first_model_id(probe.body);
  require(model.has_value(), "--model not given and " + target.client.url.str() + "/v1/models lists no model");
  target.model = *model;
  return true;
}

}  // namespace inferbench::app
