#pragma once
// This binary started again as a child: `run --processes` runs its shards this way, and
// `experiment` each of its cells.
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace inferbench::app {

// Starts /proc/self/exe with `args` (argv[0] excluded). `quiet` sends the child's stdout to
// /dev/null; `env` adds (NAME, value) pairs to its environment. Throws inferbench::Error when
// fork fails.
pid_t spawn_self(const std::vector<std::string>& args, bool quiet,
                 const std::vector<std::pair<std::string, std::string>>& env = {});

// Waits for every child and returns their exit codes, in order. A stop request (Ctrl-C reaches
// the children from the terminal; a SIGTERM to this process alone does not) is passed on to the
// children still running, once, as SIGTERM.
std::vector<int> wait_children(const std::vector<pid_t>& children);

// A child's exit code from waitpid's status: its own code, or 128 + the signal that ended it.
int exit_code_of(int wait_status);

}  // namespace inferbench::app
