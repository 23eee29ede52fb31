#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"inferbench: benchmark LLM inference servers (OpenAI-compatible, streaming)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "inferbench 0.1.0");
  inferbench::app::add_run_command(app);
  inferbench::app::add_sim_command(app);
  inferbench::app::add_tokenize_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const inferbench::Error& e) {
    fmt::print(stderr, "inferbench: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "inferbench: unexpected error: {}\n", e.what());
    return 3;
  }
  return 0;
}
