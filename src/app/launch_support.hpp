#pragma once
// `--launch "COMMAND"` for the commands that measure a server (run, replay, offline): start it, wait
// until it is ready, record its start-up, stop it, and analyse a vLLM server's load time.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "launch/launched_server.hpp"
#include "loadgen/http_target_options.hpp"

namespace inferbench::app {

// Where a launched server listens when --endpoint is not given (vLLM's default port).
inline constexpr const char* kDefaultLaunchEndpoint = "http://127.0.0.1:8000";

struct LaunchFlags {
  std::string command;       // "" = launch nothing
  double timeout_s = 600;    // --launch-timeout: start → ready
  double stop_grace_s = 10;  // --launch-stop-grace: SIGTERM → SIGKILL
};

// Adds --launch, --launch-timeout and --launch-stop-grace to a command that declares its flags
// with CLI11 (run declares them in config/run_settings.cpp).
void add_launch_flags(CLI::App& cmd, LaunchFlags& flags);

// Starts the server with its log at results_dir/server.log (a fresh temporary directory when
// results_dir is empty), waits until it is ready at target's URL, and says so on stderr. Null
// when Ctrl-C came first (the server is stopped). Throws inferbench::Error (one line, the tail
// of the log) when it exits or is not ready in time.
std::unique_ptr<launch::LaunchedServer> start_launched_server(const LaunchFlags& flags,
                                                              const loadgen::HttpTargetOptions& target,
                                                              const std::filesystem::path& results_dir);

// Stops the server and records it in `result["launch"]`: start-up time, log path, whether it
// died during the run, and (vLLM) the load-time analysis of its log. Returns 1 when the server
// died during the run (said on stderr with the tail of its log), else 0.
int finish_launched_server(launch::LaunchedServer& server, nlohmann::json& result);

}  // namespace inferbench::app
