// `inferbench experiment FILE --output DIR`: every cell of a matrix as its own `inferbench run`,
// one folder each, then a combined table and CSV (docs/experiments.md). A cell is finished
// when its run ended with a complete summary (exit 0, or 3 for a failed gate); running the same
// command again resumes, leaving finished cells untouched.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "app/child_process.hpp"
#include "app/commands.hpp"
#include "app/mlflow_experiment.hpp"
#include "app/run_config.hpp"
#include "app/signals.hpp"
#include "config/sources.hpp"
#include "core/error.hpp"
#include "experiment/builtin.hpp"
#include "experiment/combine.hpp"
#include "experiment/plan.hpp"
#include "report/json.hpp"

namespace inferbench::app {

namespace {

namespace fs = std::filesystem;

struct ExperimentOptions {
  std::string file;
  std::string output;
  int repeat = 1;
  bool dry_run = false;
  bool list = false;
  bool show = false;
};

// One run of one cell: where it goes and what it runs.
struct PlannedRun {
  experiment::CellRun run;
  std::string profile;                                       // its profile.yaml
  std::vector<std::pair<std::string, std::string>> secrets;  // its environment
  bool finished = false;                                     // done by an earlier invocation
  MlflowTarget mlflow;                                       // where it uploads (uri "" = nowhere)
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("cannot read {}", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string utc_now() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

// The marker a cell's folder gets when its run ends; "done" is what resuming skips.
nlohmann::json read_marker(const fs::path& dir) {
  std::ifstream in(dir / "cell.json");
  if (!in) return nullptr;
  const nlohmann::json marker = nlohmann::json::parse(in, nullptr, false);
  return marker.is_discarded() ? nlohmann::json(nullptr) : marker;
}

// A text field of a marker ("" when absent or not text: a hand-edited cell.json is not trusted).
std::string marker_says(const nlohmann::json& marker, const char* key) {
  if (!marker.is_object() || !marker.contains(key) || !marker[key].is_string()) return "";
  return marker[key].get<std::string>();
}

// A run's folder is discarded before it runs again only when it is an attempt of that run (its
// cell.json) or empty. Anything else stays, and the experiment stops before running anything:
// above all a cell's repeat-N folders met without --repeat, or its own results met with it.
void check_not_foreign(const fs::path& run_dir, const fs::path& cell_dir, int repeat) {
  std::error_code ec;
  const auto problem = [&](const fs::path& dir, const char* why) {
    throw Error(fmt::format("{} holds results {}: give another --output, or remove that folder", dir.string(), why));
  };
  if (repeat > 1 && fs::exists(cell_dir / "cell.json", ec)) problem(cell_dir, "of a run without --repeat");
  if (repeat == 1 && fs::exists(cell_dir / "repeat-1", ec)) problem(cell_dir, "of a run with --repeat");
  if (fs::is_directory(run_dir, ec) && !fs::exists(run_dir / "cell.json", ec) && !fs::is_empty(run_dir, ec)) {
    problem(run_dir, "that are not an attempt of this cell");
  }
}

// Every run of every cell, checked (as `inferbench run` would check it) before any starts, with
// what an earlier invocation finished. Throws inferbench::Error on a bad cell, or a finished
// one whose settings have changed since.
std::vector<PlannedRun> plan_runs(const experiment::Plan& plan, const ExperimentOptions& o) {
  std::vector<PlannedRun> runs;
  for (const experiment::Cell& cell : plan.cells) {
    // Checked once per cell, as its runs will see it (with --output; a repeat only changes the
    // seed and labels), which also says where its runs upload.
    MlflowTarget mlflow;
    try {
      config::Values as_run = cell.settings;
      as_run.set("output.dir", (fs::path(o.output) / cell.name).string(), config::Source::Flag);
      const RunConfig config = make_run_config(as_run);
      if (!config.mlflow_uri.empty()) {
        mlflow = {config.mlflow_uri, config.mlflow_experiment, "", config.mlflow_restore_experiment, ""};
      }
    } catch (const Error& e) {
      throw Error(fmt::format("{}: cell '{}': {}", o.file, cell.name, e.what()));
    }
    const std::int64_t seed = cell.settings.integer("seed");
    for (int r = 1; r <= o.repeat; ++r) {
      PlannedRun p;
      p.run.cell = cell.name;
      p.run.repeat = r;
      p.run.levels = cell.levels;
      p.run.dir = fs::path(o.output) / cell.name;
      if (o.repeat > 1) p.run.dir /= fmt::format("repeat-{}", r);
      config::Values settings = cell.settings;
      if (o.repeat > 1) {  // each repeat its own prompts and arrivals
        settings.set("seed", seed + r - 1, config::Source::Override);
        config::set_path(settings, "labels.repeat", std::to_string(r), config::Source::Override, o.file);
      }
      if (!settings.given("mlflow.run_name")) {  // in MLflow, the cell's run is named after it
        settings.set("mlflow.run_name", o.repeat > 1 ? fmt::format("{} repeat-{}", cell.name, r) : cell.name,
                     config::Source::Override, o.file);
      }
      p.mlflow = mlflow;
      p.profile = experiment::cell_profile(settings, p.secrets);
      check_not_foreign(p.run.dir, fs::path(o.output) / cell.name, o.repeat);
      const nlohmann::json marker = read_marker(p.run.dir);
      if (marker_says(marker, "status") == "done") {
        std::string before;
        try {
          before = read_text((p.run.dir / "profile.yaml").string());
        } catch (const Error&) {}
        if (before != p.profile) {
          throw Error(
              fmt::format("{} was run with other settings than {} gives it now: give another --output, or "
                          "remove that folder to run the cell again",
                          p.run.dir.string(), o.file));
        }
        p.finished = true;
        p.run.status = "done";
        p.run.exit_code = marker.contains("exit_code") && marker["exit_code"].is_number_integer()
                              ? marker["exit_code"].get<int>()
                              : 0;
      } else {
        p.run.status = "not run";
      }
      runs.push_back(std::move(p));
    }
  }
  return runs;
}

// Runs one cell as `inferbench run DIR/profile.yaml --output DIR`; returns its exit code.
int run_cell(PlannedRun& p, const std::string& mlflow_parent_run) {
  std::error_code ec;
  if (fs::exists(p.run.dir, ec)) {
    fmt::print(stderr, "inferbench: {}: discarding an unfinished earlier attempt\n", p.run.dir.string());
    fs::remove_all(p.run.dir, ec);
    if (ec) throw Error(fmt::format("cannot remove {}: {}", p.run.dir.string(), ec.message()));
  }
  fs::create_directories(p.run.dir, ec);
  if (ec) throw Error(fmt::format("cannot create {}: {}", p.run.dir.string(), ec.message()));
  report::replace_file(p.run.dir / "profile.yaml", p.profile);
  nlohmann::json marker = {
      {"cell", p.run.cell}, {"repeat", p.run.repeat}, {"status", "running"}, {"started", utc_now()}};
  report::replace_file(p.run.dir / "cell.json", marker.dump(2) + "\n");
  std::vector<std::string> args = {"run", (p.run.dir / "profile.yaml").string(), "--output", p.run.dir.string()};
  // Not in profile.yaml: the MLflow run of an experiment is no setting of its cells.
  if (!mlflow_parent_run.empty()) args.insert(args.end(), {"--mlflow-parent-run", mlflow_parent_run});
  const pid_t child = spawn_self(args, /*quiet=*/false, p.secrets);
  const int code = wait_children({child}).front();
  // 3: a gate the user set failed, but the measurement is complete.
  p.run.status = code == 0 || code == 3 ? "done" : (code == 130 || stop_requested() ? "interrupted" : "failed");
  p.run.exit_code = code;
  marker["status"] = p.run.status;
  marker["exit_code"] = code;
  marker["finished"] = utc_now();
  report::replace_file(p.run.dir / "cell.json", marker.dump(2) + "\n");
  return code;
}

void write_combined(const experiment::Plan& plan, const std::vector<PlannedRun>& runs, const ExperimentOptions& o) {
  std::vector<experiment::CellRun> cell_runs;
  cell_runs.reserve(runs.size());
  for (const PlannedRun& p : runs) cell_runs.push_back(p.run);
  const experiment::Combined combined = experiment::combine(plan.name, plan.factors, cell_runs, o.repeat);
  const fs::path dir(o.output);
  report::replace_file(dir / "experiment.json",
                       combined.json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  report::replace_file(dir / "experiment.csv", combined.csv);
  if (o.repeat > 1) report::replace_file(dir / "experiment-repeats.csv", combined.repeats_csv);
  fmt::print("\n{}", combined.table);
  fmt::print(stderr, "inferbench: experiment results in {}/experiment.csv and experiment.json\n", o.output);
}

// The experiment's text: the file, else the built-in experiment of that name.
std::string experiment_text(const std::string& file) {
  std::error_code ec;
  if (fs::exists(file, ec)) return read_text(file);
  if (const auto* builtin = experiment::find_builtin_experiment(file)) return builtin->yaml;
  std::string names;
  for (const auto& e : experiment::builtin_experiments()) names += (names.empty() ? "" : ", ") + e.name;
  throw Error(fmt::format("{}: no such file, nor a built-in experiment ({})", file, names));
}

int execute_experiment(const ExperimentOptions& o) {
  if (o.list) {
    for (const auto& e : experiment::builtin_experiments()) fmt::print("{:<20} {}\n", e.name, e.description);
    return 0;
  }
  require(!o.file.empty(), "experiment: give an EXPERIMENT.yaml file or a built-in name (--list lists them)");
  const std::string text = experiment_text(o.file);
  if (o.show) {
    fmt::print("{}", text);
    return 0;
  }
  require(!o.output.empty(), "experiment: --output DIR is required (it is also where a stopped experiment resumes)");
  const experiment::Plan plan = experiment::plan_experiment(text, o.file, fs::path(o.file).parent_path().string());
  std::vector<PlannedRun> runs = plan_runs(plan, o);
  std::size_t finished = 0;
  for (const PlannedRun& p : runs) finished += p.finished ? 1 : 0;
  if (o.dry_run) {
    fmt::print("Experiment {}: {} cell{} x {} repeat{}, {} run{} finished\n", plan.name, plan.cells.size(),
               plan.cells.size() == 1 ? "" : "s", o.repeat, o.repeat == 1 ? "" : "s", finished,
               finished == 1 ? "" : "s");
    for (const PlannedRun& p : runs) {
      std::string levels;
      for (const auto& [key, value] : p.run.levels) levels += fmt::format(" {}={}", key, value);
      fmt::print("  {}{}  ({})\n", p.run.dir.string(), levels, p.run.status);
    }
    return 0;
  }
  if (finished > 0) {
    fmt::print(stderr, "inferbench: resuming {}: {} of {} runs finished earlier and are kept\n", o.output, finished,
               runs.size());
  }
  install_stop_handlers();
  // In MLflow, one run for the experiment, which the runs of the cells that upload where the first
  // one does nest under (docs/mlflow.md, "Experiments").
  const auto uploading =
      std::find_if(runs.begin(), runs.end(), [](const PlannedRun& p) { return !p.mlflow.uri.empty(); });
  const std::optional<MlflowTarget> group =
      uploading == runs.end() ? std::nullopt : std::optional<MlflowTarget>(uploading->mlflow);
  const auto in_group = [&](const PlannedRun& p) {
    return group && p.mlflow.uri == group->uri && p.mlflow.experiment == group->experiment;
  };
  std::string group_run;
  if (group) {
    std::error_code ec;
    fs::create_directories(o.output, ec);
    if (ec) throw Error(fmt::format("cannot create {}: {}", o.output, ec.message()));
    group_run =
        open_experiment_run(o.output, *group,
                            {plan.name, plan.factors.empty() ? std::vector<std::string>{"treatment"} : plan.factors,
                             plan.cells.size(), o.repeat});
    for (const PlannedRun& p : runs) {
      if (!p.mlflow.uri.empty() && !in_group(p)) {
        fmt::print(stderr,
                   "inferbench: MLflow: {} uploads elsewhere (another server or MLflow experiment): not "
                   "nested under the experiment's run\n",
                   p.run.dir.string());
      }
    }
  }
  std::size_t index = 0;
  bool interrupted = false;
  for (PlannedRun& p : runs) {
    ++index;
    if (p.finished) continue;
    if (stop_requested()) {
      interrupted = true;
      break;
    }
    fmt::print(stderr, "inferbench: cell {}/{}: {}{}\n", index, runs.size(), p.run.cell,
               o.repeat > 1 ? fmt::format(" (repeat {}/{})", p.run.repeat, o.repeat) : "");
    std::fflush(stderr);
    run_cell(p, in_group(p) ? group_run : "");
    if (p.run.status == "interrupted") {
      interrupted = true;
      break;
    }
  }
  write_combined(plan, runs, o);
  std::size_t done = 0, failed = 0, gates = 0;
  for (const PlannedRun& p : runs) {
    done += p.run.status == "done" ? 1 : 0;
    failed += p.run.status == "failed" ? 1 : 0;
    gates += p.run.exit_code == 3 ? 1 : 0;
  }
  if (group && !group_run.empty()) {
    (void)close_experiment_run(o.output, *group, experiment_run_status(runs.size(), done, failed, interrupted));
  } else if (group) {
    fmt::print(stderr,
               "inferbench: MLflow: to upload the experiment with its cells nested under its run: inferbench "
               "log-mlflow {}\n",
               o.output);
  }
  if (interrupted) {
    fmt::print(stderr, "inferbench: interrupted: {} of {} runs finished; the same command resumes\n", done,
               runs.size());
    return 130;
  }
  if (failed > 0) {
    fmt::print(stderr,
               "inferbench: {} of {} runs failed (see their cell.json and output above); the same command "
               "runs them again\n",
               failed, runs.size());
    return 1;
  }
  return gates > 0 ? 3 : 0;
}

}  // namespace

void add_experiment_command(CLI::App& app) {
  auto o = std::make_shared<ExperimentOptions>();
  auto* cmd = app.add_subcommand(
      "experiment",
      "Run every cell of an experiment matrix (constants x treatments, or factors x levels), one run each, then "
      "a combined table and CSV; the same command again resumes");
  cmd->add_option("file", o->file, "Experiment file (docs/experiments.md), or a built-in experiment's name")
      ->type_name("EXPERIMENT.yaml");
  cmd->add_option("--output", o->output,
                  "Folder of the results: one folder per cell, experiment.csv and experiment.json; a folder with "
                  "finished cells resumes");
  cmd->add_option("--repeat", o->repeat,
                  "Runs of each cell, with seeds seed, seed+1, ...; the results add the mean, standard deviation "
                  "and 95 % interval across them")
      ->check(CLI::Range(1, 1000));
  cmd->add_flag("--dry-run", o->dry_run, "Check every cell and list them (finished or not); run nothing");
  cmd->add_flag("--list", o->list, "List the built-in experiments");
  cmd->add_flag("--show", o->show, "Print the experiment's YAML (to copy and edit a built-in one)");
  cmd->callback([o] {
    const int rc = execute_experiment(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace inferbench::app
