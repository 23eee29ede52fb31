// `inferbench report DIR...`: report.html from one or more result directories (docs/report.md).
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "report/html_report.hpp"

namespace inferbench::app {

namespace {

struct ReportOptions {
  std::vector<std::string> dirs;
  std::string output;
  report::HtmlReportOptions html;
};

void execute_report(const ReportOptions& options) {
  std::vector<std::filesystem::path> paths(options.dirs.begin(), options.dirs.end());
  const auto dirs = report::expand_results_dirs(paths);
  std::filesystem::path output = options.output;
  if (output.empty()) {
    require(dirs.size() == 1,
            fmt::format("report: {} result directories: --output FILE names the one report of them all", dirs.size()));
    output = dirs.front() / "report.html";
  }
  report::write_html_report(dirs, output, options.html);
  fmt::print(stderr, "inferbench: report of {} run{} in {}\n", dirs.size(), dirs.size() == 1 ? "" : "s",
             output.string());
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto options = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand(
      "report", "Write report.html (charts and tables, one self-contained file) from result directories");
  cmd->add_option("dirs", options->dirs,
                  "Result directories (--output of `run`), or folders whose subdirectories are result directories")
      ->required();
  cmd->add_option("--output", options->output, "The HTML file to write (default with one directory: DIR/report.html)");
  cmd->add_option("--title", options->html.title, "Title of the page")->capture_default_str();
  cmd->add_option("--series", options->html.series_key,
                  "Key path in summary.json naming each run's line in the curves, e.g. labels.framework or "
                  "config.target.model (default: the run's labels, else its model)");
  cmd->callback([options] { execute_report(*options); });
}

}  // namespace inferbench::app
