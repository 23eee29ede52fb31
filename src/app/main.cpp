#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"inferbench: benchmark LLM inference servers"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const inferbench::Error& e) {
    fmt::print(stderr, "inferbench: {}\n", e.what());
    return 2;
  }
  return 0;
}
