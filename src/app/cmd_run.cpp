#include "app/commands.hpp"

namespace inferbench::app {

void add_run_command(CLI::App& app) {
  app.add_subcommand("run", "");
}

}  // namespace inferbench::app
