#pragma once
// The server under test, started by inferbench (`--launch "COMMAND"`) and stopped afterwards,
// as llm-d-benchmark's stand-up → run → tear-down. See docs/offline.md, "Launching the server".
//
// Processes: inferbench forks a watchdog (its own process group, deaf to the terminal's
// signals, a child subreaper) which forks `/bin/sh -c COMMAND` as the leader of a new process
// group, its stdout and stderr in the log file. The watchdog holds the read end of a pipe whose
// only write end is inferbench's: when inferbench stops the server, or dies in any way (SIGKILL
// too: the kernel closes the pipe), the watchdog sends SIGTERM to the server's group, SIGKILL
// after the grace period, kills any descendant that left the group (they are reparented to the
// watchdog, the subreaper), reaps them all and exits. The shell has PR_SET_PDEATHSIG=SIGKILL in
// case the watchdog itself is killed.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "loadgen/http_target_options.hpp"

namespace inferbench::launch {

struct LaunchOptions {
  std::string command;                             // run by /bin/sh -c
  std::filesystem::path log_path;                  // its stdout and stderr (truncated first)
  Duration stop_grace = std::chrono::seconds(10);  // SIGTERM → SIGKILL
};

class LaunchedServer {
 public:
  // Starts the server now; throws inferbench::Error when it cannot (log file, fork).
  explicit LaunchedServer(LaunchOptions options);
  // Stops the server (see stop()).
  ~LaunchedServer();
  LaunchedServer(const LaunchedServer&) = delete;
  LaunchedServer& operator=(const LaunchedServer&) = delete;

  // Polls `target` until GET /health and then GET /v1/models answer 200 (a /health that answers
  // 404 is a server without that route: /v1/models decides). True when ready; false when
  // `stop_requested` said so first. Throws inferbench::Error (one line, with the tail of the
  // log) when the server exits first or is not ready within `timeout`.
  bool wait_ready(const loadgen::HttpTargetOptions& target, Duration timeout,
                  const std::function<bool()>& stop_requested);
  // How the server's shell ended when it ended by itself ("exited with status 1", "killed by
  // signal 9"); nullopt while it runs (and after stop()).
  std::optional<std::string> exited();
  // SIGTERM to the server's process group, SIGKILL after the grace period, everything reaped.
  // Blocks until then. Idempotent.
  void stop();

  const std::filesystem::path& log_path() const { return options_.log_path; }
  // Start → ready; nullopt until wait_ready() succeeded.
  std::optional<Duration> startup_time() const { return startup_time_; }
  // The shell's process id (the server's process group id).
  pid_t pid() const { return server_pid_; }
  // The last `lines` non-empty lines of the log, joined with " | ", each cut to 200 bytes.
  std::string log_tail(std::size_t lines = 3) const;

 private:
  void read_status(bool block, Duration timeout);

  LaunchOptions options_;
  TimePoint started_;
  std::optional<Duration> startup_time_;
  pid_t watchdog_pid_ = -1;
  pid_t server_pid_ = -1;
  int control_fd_ = -1;  // write end: closing it stops the server
  int status_fd_ = -1;   // read end: the watchdog's reports
  std::optional<int> exit_status_;
  bool stopped_ = false;
};

// Describes a wait status: "exited with status 1", "killed by signal 9".
std::string describe_wait_status(int status);

}  // namespace inferbench::launch
