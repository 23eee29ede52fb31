#include "launch/launched_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "http/client.hpp"
#include "loadgen/probe.hpp"

namespace inferbench::launch {

namespace {

// The watchdog's reports to inferbench, one 8-byte write each (atomic on a pipe).
struct Report {
  char kind;  // 'P' the server's pid, 'X' its shell ended (value: wait status), 'D' all stopped
  char pad[3];
  std::int32_t value;
};
static_assert(sizeof(Report) == 8);

// ---- The watchdog and the server's child: between fork and exit or exec only
// async-signal-safe calls (inferbench may have other threads holding locks at the fork).

void write_report(int fd, char kind, std::int32_t value) {
  Report r{kind, {0, 0, 0}, value};
  while (write(fd, &r, sizeof r) < 0 && errno == EINTR) {}
}

long long monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, nullptr);
}

void set_disposition(int sig, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
}

constexpr int kTerminalSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE};
constexpr long long kUnkillableMs = 10000;  // after SIGKILL, how long the watchdog waits at most

// Closes every descriptor from 3 up except those in keep (at most 4).
void close_all_but(const int (&keep)[4]) {
  int sorted[4];
  for (int i = 0; i < 4; ++i) sorted[i] = keep[i];
  for (int i = 1; i < 4; ++i) {
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; --j) {
      const int t = sorted[j];
      sorted[j] = sorted[j - 1];
      sorted[j - 1] = t;
    }
  }
  unsigned from = 3;
  for (const int fd : sorted) {
    if (fd < static_cast<int>(from)) continue;
    if (static_cast<unsigned>(fd) > from) close_range(from, static_cast<unsigned>(fd) - 1, 0);
    from = static_cast<unsigned>(fd) + 1;
  }
  close_range(from, ~0U, 0);
}

// Sends `sig` to every child of this (single-threaded) process: descendants that left the
// server's group and were reparented here, the subreaper.
void signal_children(int sig) {
  char path[64] = "/proc/self/task/";
  char pid_text[16];
  int n = 0;
  for (pid_t p = getpid(); p > 0; p /= 10) pid_text[n++] = static_cast<char>('0' + p % 10);
  int len = 16;
  while (n > 0) path[len++] = pid_text[--n];
  const char tail[] = "/children";
  for (char c : tail) path[len++] = c;
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[4096];
  const ssize_t got = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (got <= 0) return;
  pid_t value = 0;
  for (ssize_t i = 0; i <= got; ++i) {
    if (i < got && buf[i] >= '0' && buf[i] <= '9') {
      value = value * 10 + (buf[i] - '0');
    } else if (value > 0) {
      kill(value, sig);
      value = 0;
    }
  }
}

// Reaps whatever ended; records the server's shell. True when no child is left.
bool reap(pid_t server, int status_fd, bool& server_reported) {
  for (;;) {
    int status = 0;
    const pid_t p = waitpid(-1, &status, WNOHANG);
    if (p == 0) return false;
    if (p < 0) return errno == ECHILD;
    if (p == server && !server_reported) {
      server_reported = true;
      write_report(status_fd, 'X', status);
    }
  }
}

bool group_gone(pid_t group) { return kill(-group, 0) < 0 && errno == ESRCH; }

[[noreturn]] void server_child(pid_t watchdog, int log_fd, int null_fd, char* const* argv) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // the watchdog gone: no one would stop us
  if (getppid() != watchdog) _exit(127);
  for (const int sig : kTerminalSignals) set_disposition(sig, SIG_DFL);  // SIG_IGN would survive exec
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  dup2(null_fd, 0);
  dup2(log_fd, 1);
  dup2(log_fd, 2);
  close_range(3, ~0U, 0);
  execv(argv[0], argv);
  const char msg[] = "inferbench: cannot run /bin/sh\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(127);
}

[[noreturn]] void watchdog_main(int control_fd, int status_fd, int log_fd, int null_fd, char* const* argv,
                                long grace_ms) {
  setpgid(0, 0);  // out of inferbench's group: a kill of that group leaves the watchdog to clean up
  for (const int sig : kTerminalSignals) set_disposition(sig, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  close_all_but({control_fd, status_fd, log_fd, null_fd});
  const pid_t self = getpid();
  const pid_t server = fork();
  if (server == 0) server_child(self, log_fd, null_fd, argv);
  close(log_fd);
  close(null_fd);
  if (server < 0) {
    write_report(status_fd, 'X', 127 << 8);
    write_report(status_fd, 'D', 0);
    _exit(1);
  }
  setpgid(server, server);  // also here, so the group exists before anyone signals it
  write_report(status_fd, 'P', server);
  bool server_reported = false;
  // Run until inferbench says stop or its end of the pipe closes (it ended, however).
  for (;;) {
    pollfd pfd{control_fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, 100);
    reap(server, status_fd, server_reported);
    if (ready > 0) {
      char byte = 0;
      const ssize_t got = read(control_fd, &byte, 1);
      if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN) || byte == 'S') break;
    }
  }
  // Stop: SIGTERM to the group (and to descendants that left it), SIGKILL after the grace.
  kill(-server, SIGTERM);
  signal_children(SIGTERM);
  const long long kill_at = monotonic_ms() + grace_ms;
  bool killed = false;
  for (;;) {
    const bool no_children = reap(server, status_fd, server_reported);
    if (no_children && group_gone(server)) break;
    if (!killed && monotonic_ms() >= kill_at) {
      kill(-server, SIGKILL);
      signal_children(SIGKILL);
      killed = true;
    } else if (killed) {
      kill(-server, SIGKILL);  // members that were forking when the first one went out
      signal_children(SIGKILL);
      // A process stuck in the kernel (uninterruptible sleep) may never die: inferbench must
      // not wait for it forever. It is still killed; it just is not waited for.
      if (monotonic_ms() >= kill_at + kUnkillableMs) break;
    }
    sleep_ms(10);
  }
  write_report(status_fd, 'D', killed ? 1 : 0);
  _exit(0);
}

}  // namespace

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("ended (wait status {})", status);
}

LaunchedServer::LaunchedServer(LaunchOptions options) : options_(std::move(options)), started_(Clock::now()) {
  require(!options_.command.empty(), "--launch: the command is empty");
  require(options_.command.find('\0') == std::string::npos, "--launch: the command contains a NUL byte");
  if (options_.log_path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.log_path.parent_path(), ec);
  }
  const int log_fd = open(options_.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  require(log_fd >= 0, fmt::format("--launch: cannot write {}: {}", options_.log_path.string(), std::strerror(errno)));
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  int control[2] = {-1, -1};
  int status[2] = {-1, -1};
  if (null_fd < 0 || pipe2(control, O_CLOEXEC) != 0 || pipe2(status, O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    for (const int fd : {log_fd, null_fd, control[0], control[1], status[0], status[1]}) {
      if (fd >= 0) close(fd);
    }
    throw Error("--launch: cannot set up the server's process: " + why);
  }
  // execv wants char* const[]: writable copies of the three strings, made before the fork.
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string command = options_.command;
  char* const argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};
  const long grace_ms =
      static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(options_.stop_grace).count());
  // Signals stay blocked across the fork until the watchdog has set its own dispositions: a
  // Ctrl-C at that instant must not kill it.
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  const pid_t watchdog = fork();
  if (watchdog == 0) {
    close(control[1]);
    close(status[0]);
    watchdog_main(control[0], status[1], log_fd, null_fd, argv, grace_ms);
  }
  const int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  close(control[0]);
  close(status[1]);
  close(log_fd);
  close(null_fd);
  if (watchdog < 0) {
    close(control[1]);
    close(status[0]);
    throw Error(std::string("--launch: cannot fork: ") + std::strerror(fork_errno));
  }
  watchdog_pid_ = watchdog;
  control_fd_ = control[1];
  status_fd_ = status[0];
  fcntl(status_fd_, F_SETFL, O_NONBLOCK);
  read_status(true, std::chrono::seconds(5));
  if (server_pid_ < 0) {
    stop();
    throw Error("--launch: the server's process did not start");
  }
}

LaunchedServer::~LaunchedServer() { stop(); }

void LaunchedServer::read_status(bool block, Duration timeout) {
  const TimePoint deadline = Clock::now() + timeout;
  for (;;) {
    Report r{};
    const ssize_t got = read(status_fd_, &r, sizeof r);
    if (got == static_cast<ssize_t>(sizeof r)) {
      if (r.kind == 'P') server_pid_ = r.value;
      if (r.kind == 'X') exit_status_ = r.value;
      if (r.kind == 'D') return;
      if (block && r.kind == 'P') return;  // started
      continue;
    }
    if (got == 0) return;  // the watchdog is gone
    if (got < 0 && errno == EINTR) continue;
    if (!block) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return;
    pollfd pfd{status_fd_, POLLIN, 0};
    poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 100)));
  }
}

std::optional<std::string> LaunchedServer::exited() {
  if (stopped_) return std::nullopt;
  read_status(false, {});
  if (!exit_status_) return std::nullopt;
  return describe_wait_status(*exit_status_);
}

void LaunchedServer::stop() {
  if (stopped_ || watchdog_pid_ < 0) return;
  stopped_ = true;
  close(control_fd_);  // the watchdog stops the server
  control_fd_ = -1;
  // It reports 'D' when everything is reaped: at most the grace period, then SIGKILL.
  fcntl(status_fd_, F_SETFL, 0);
  for (;;) {
    Report r{};
    const ssize_t got = read(status_fd_, &r, sizeof r);
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(sizeof r) || r.kind == 'D') break;
  }
  close(status_fd_);
  status_fd_ = -1;
  int status = 0;
  while (waitpid(watchdog_pid_, &status, 0) < 0 && errno == EINTR) {}
}

std::string LaunchedServer::log_tail(std::size_t lines) const {
  std::ifstream in(options_.log_path, std::ios::binary);
  if (!in) return "(no log)";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 16384);
  in.seekg(from);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> kept;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    for (char& c : line) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';  // one line, whatever the server printed
    }
    if (!line.empty()) kept.push_back(line.substr(0, 200));
    start = end + 1;
  }
  if (kept.empty()) return "(empty log)";
  std::string out;
  for (std::size_t i = kept.size() > lines ? kept.size() - lines : 0; i < kept.size(); ++i) {
    if (!out.empty()) out += " | ";
    out += kept[i];
  }
  return out;
}

bool LaunchedServer::wait_ready(const loadgen::HttpTargetOptions& target, Duration timeout,
                                const std::function<bool()>& stop_requested) {
  const TimePoint deadline = started_ + timeout;
  const std::string base = target.client.url.str();
  std::string last = "no answer yet";
  bool healthy = false;
  for (;;) {
    if (stop_requested && stop_requested()) return false;
    if (const auto how = exited()) {
      throw Error(fmt::format("--launch: the server {} before it was ready; last lines of {}: {}", *how,
                              options_.log_path.string(), log_tail()));
    }
    const TimePoint now = Clock::now();
    if (now >= deadline) {
      throw Error(fmt::format("--launch: the server was not ready after {:.0f} s ({}); last lines of {}: {}",
                              to_s(timeout), last, options_.log_path.string(), log_tail()));
    }
    const Duration probe_timeout = std::min<Duration>(std::chrono::seconds(2), deadline - now);
    const char* path = healthy ? "/v1/models" : "/health";
    const auto probe = loadgen::http_get(target, path, probe_timeout, stop_requested);
    if (probe.outcome.kind == http::Outcome::Kind::Cancelled) return false;
    if (probe.outcome.kind == http::Outcome::Kind::Complete) {
      last = fmt::format("GET {}{} answered HTTP {}", base, path, probe.status);
      if (!healthy && (probe.status == 200 || probe.status == 404)) {
        healthy = true;
        continue;
      }
      if (healthy && probe.status == 200) {
        startup_time_ = Clock::now() - started_;
        return true;
      }
    } else {
      last = fmt::format("GET {}{}: {}", base, path, probe.outcome.detail);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace inferbench::launch
