#include "app/launch_support.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "app/signals.hpp"
#include "core/error.hpp"
#include "loadtime/vllm_log.hpp"
#include "report/json.hpp"

namespace inferbench::app {

void add_launch_flags(CLI::App& cmd, LaunchFlags& flags) {
  cmd.add_option("--launch", flags.command,
                 "Start the server with this shell command, wait until --endpoint is ready, stop it afterwards");
  cmd.add_option("--launch-timeout", flags.timeout_s, "Seconds the launched server may take to become ready")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();
  cmd.add_option("--launch-stop-grace", flags.stop_grace_s, "Seconds between SIGTERM and SIGKILL when stopping it")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
}

namespace {

std::filesystem::path log_dir(const std::filesystem::path& results_dir) {
  if (!results_dir.empty()) return results_dir;
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/inferbench-launch-XXXXXX";
  require(mkdtemp(pattern.data()) != nullptr, "--launch: cannot create a directory for server.log in " + pattern);
  return pattern;
}

}  // namespace

std::unique_ptr<launch::LaunchedServer> start_launched_server(const LaunchFlags& flags,
                                                              const loadgen::HttpTargetOptions& target,
                                                              const std::filesystem::path& results_dir) {
  install_stop_handlers();
  launch::LaunchOptions options;
  options.command = flags.command;
  options.log_path = log_dir(results_dir) / "server.log";
  options.stop_grace = from_s(flags.stop_grace_s);
  auto server = std::make_unique<launch::LaunchedServer>(options);
  fmt::print(stderr, "inferbench: launched the server (pid {}), waiting up to {:.0f} s for {} (log: {})\n",
             server->pid(), flags.timeout_s, target.client.url.str(), server->log_path().string());
  if (!server->wait_ready(target, from_s(flags.timeout_s), stop_requested)) {
    fmt::print(stderr, "inferbench: interrupted while the launched server was starting; stopping it\n");
    server->stop();
    return nullptr;
  }
  fmt::print(stderr, "inferbench: the launched server is ready after {:.2f} s\n", to_s(*server->startup_time()));
  return server;
}

int finish_launched_server(launch::LaunchedServer& server, nlohmann::json& result) {
  const std::optional<std::string> died = server.exited();
  server.stop();
  nlohmann::json launch = {{"startup_time_s", server.startup_time() ? to_s(*server.startup_time()) : 0.0},
                           {"log", server.log_path().string()},
                           {"exited_during_run", died ? nlohmann::json(*died) : nlohmann::json(nullptr)}};
  // A vLLM server's log says where its start-up time went (llm-d's nop analysis).
  // The start-up is at the head of the log: its first 64 MiB are read, however long the run was.
  constexpr std::size_t kHead = std::size_t{64} << 20;
  std::error_code ec;
  const auto size = std::filesystem::file_size(server.log_path(), ec);
  std::ifstream in(server.log_path(), std::ios::binary);
  std::string text(ec ? 0 : static_cast<std::size_t>(std::min<std::uintmax_t>(size, kHead)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (loadtime::looks_like_vllm(text)) {
    const loadtime::Analysis analysis = loadtime::analyze(text);
    nlohmann::json j = loadtime::to_json(analysis);
    j["log"] = server.log_path().string();
    const auto path = server.log_path().parent_path() / "loadtime.json";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << report::to_text(j, 2) << "\n";
    if (!out) fmt::print(stderr, "inferbench: warning: cannot write {}\n", path.string());
    fmt::print(stderr, "{}", loadtime::format_table(analysis));
    launch["loadtime"] = std::move(j);
  }
  result["launch"] = std::move(launch);
  if (died) {
    fmt::print(stderr, "inferbench: the launched server {} during the run; last lines of {}: {}\n", *died,
               server.log_path().string(), server.log_tail());
    return 1;
  }
  return 0;
}

}  // namespace inferbench::app
