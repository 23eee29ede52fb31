#include "app/child_process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

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

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 128 + (WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
}

}  // namespace inferbench::app
