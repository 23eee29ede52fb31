#include "app/child_process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "app/signals.hpp"
#include "core/error.hpp"

namespace inferbench::app {

pid_t spawn_self(const std::vector<std::string>& args, bool quiet,
                 const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> copy = args;
  std::string self = "/proc/self/exe";
  std::vector<char*> argv;
  argv.push_back(self.data());
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  require(pid >= 0, "fork failed: cannot start a child process");
  if (pid == 0) {
    if (quiet) {
      const int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, STDOUT_FILENO);
    }
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  return pid;
}

std::vector<int> wait_children(const std::vector<pid_t>& children) {
  std::vector<int> codes(children.size(), -1);
  std::size_t running = children.size();
  bool forwarded = false;
  while (running > 0) {
    for (std::size_t k = 0; k < children.size(); ++k) {
      if (codes[k] != -1) continue;
      int status = 0;
      if (waitpid(children[k], &status, WNOHANG) == children[k]) {
        codes[k] = exit_code_of(status);
        --running;
      }
    }
    if (stop_requested() && !forwarded) {
      for (std::size_t k = 0; k < children.size(); ++k) {
        if (codes[k] == -1) kill(children[k], SIGTERM);
      }
      forwarded = true;
    }
    if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return codes;
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 128 + (WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
}

}  // namespace inferbench::app
