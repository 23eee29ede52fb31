#pragma once
// The target of a run, shared by the commands that load a server (`run`, `replay`): the built-in
// simulator when no endpoint is given, and the start-up check that the server answers.
#include <memory>

#include "app/run_config.hpp"
#include "loadgen/http_target_options.hpp"
#include "sim/server.hpp"

namespace inferbench::app {

// Starts the built-in simulator on a loopback port when `config` has no endpoint (null
// otherwise) and points `target` at it; says so on stderr.
std::unique_ptr<sim::SimServer> start_simulator(const RunConfig& config, loadgen::HttpTargetOptions& target);

// Warns when the largest load point holds more connections than the process may open file
// descriptors (counting both ends when the built-in simulator runs in this process).
void warn_if_short_of_descriptors(const RunConfig& config);

// Fills target.model from /v1/models when not given, and fails early and clearly when the
// server cannot be reached at all. False when a stop signal (Ctrl-C) ended the wait.
bool check_target(loadgen::HttpTargetOptions& target);

}  // namespace inferbench::app
