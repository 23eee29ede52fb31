#include "app/commands.hpp"

namespace inferbench::app {

void add_sim_command(CLI::App& app) {
  app.add_subcommand("sim", "");
}

}  // namespace inferbench::app
