#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "exports/summary_view.hpp"
#include "exports/write.hpp"

namespace inferbench::app {

void add_export_command(CLI::App& app) {
  struct Args {
    std::string dir;
    std::string format;
    std::string output;
  };
  auto args = std::make_shared<Args>();
  std::string formats;
  for (const auto& f : exports::format_names()) formats += (formats.empty() ? "" : ", ") + f;
  auto* cmd = app.add_subcommand("export",
                                 "Write a results directory's summary.json in another tool's format (" + formats + ")");
  cmd->add_option("RESULTS_DIR", args->dir, "Directory written by inferbench run --output")->required();
  cmd->add_option("--format", args->format, "Format: " + formats)->required();
  cmd->add_option("--output", args->output, "Directory to write the files into")->required();
  cmd->callback([args] {
    const auto format = exports::parse_format(args->format);
    if (!format) {
      std::string allowed;
      for (const auto& f : exports::format_names()) allowed += (allowed.empty() ? "" : ", ") + f;
      throw Error(fmt::format("invalid --format '{}': must be one of {}", args->format, allowed));
    }
    const std::filesystem::path dir(args->dir);
    require(std::filesystem::is_directory(dir), fmt::format("{}: no such results directory", args->dir));
    const nlohmann::json summary = exports::read_summary((dir / "summary.json").string());
    const auto files = exports::write_export(summary, *format, args->output, dir / "requests.jsonl");
    fmt::print(stderr, "inferbench: {} file{} in {} ({})\n", files.size(), files.size() == 1 ? "" : "s", args->output,
               args->format);
  });
}

}  // namespace inferbench::app
