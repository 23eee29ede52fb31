// `inferbench loadtime LOG`: where a vLLM server's start-up time went, in llm-d-benchmark's
// `nop` categories, with the facts vLLM logs (docs/offline.md, "Load-time analysis").
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "loadtime/vllm_log.hpp"
#include "report/json.hpp"

namespace inferbench::app {

namespace {

struct LoadtimeFlags {
  std::string log;
  std::string model;
  std::string output;
  bool json = false;
};

// A log is read whole; beyond this it is not a start-up log.
constexpr std::uintmax_t kMaxLogBytes = std::uintmax_t{1} << 30;

std::string read_log(const std::string& path) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  require(!ec, fmt::format("cannot read {}: {}", path, ec.message()));
  require(size <= kMaxLogBytes, fmt::format("{} is {} bytes: larger than the 1 GiB a start-up log may be", path, size));
  std::ifstream in(path, std::ios::binary);
  require(static_cast<bool>(in), "cannot read " + path);
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

int execute_loadtime(const LoadtimeFlags& f) {
  const std::string text = read_log(f.log);
  const loadtime::Analysis analysis = loadtime::analyze(text, f.model);
  if (!analysis.looks_like_vllm) {
    fmt::print(stderr,
               "inferbench: {} does not look like a vLLM log (none of its start-up phrases): nothing to analyse\n",
               f.log);
    return 1;
  }
  nlohmann::json j = loadtime::to_json(analysis);
  j["log"] = f.log;
  if (!f.output.empty()) {
    std::ofstream out(f.output, std::ios::binary | std::ios::trunc);
    out << report::to_text(j, 2) << "\n";
    out.flush();
    require(static_cast<bool>(out), "cannot write " + f.output);
  }
  if (f.json) {
    fmt::print("{}\n", report::to_text(j, 2));
  } else {
    fmt::print("{}", loadtime::format_table(analysis));
  }
  return 0;
}

}  // namespace

void add_loadtime_command(CLI::App& app) {
  auto f = std::make_shared<LoadtimeFlags>();
  auto* cmd = app.add_subcommand(
      "loadtime", "Analyse a vLLM server log: start-up time by llm-d's nop categories, model load rate, compile times");
  cmd->add_option("LOG", f->log, "The vLLM server's log (stdout and stderr)")->required();
  cmd->add_option("--model", f->model, "Skip a tensorizer serialization pass of this model before the start-up");
  cmd->add_option("--output", f->output, "Also write the analysis as JSON to this file");
  cmd->add_flag("--json", f->json, "Print JSON instead of the table");
  cmd->callback([f] {
    const int rc = execute_loadtime(*f);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace inferbench::app
