// `inferbench profiles`: the built-in profiles (list, show, check) and the generated part of
// docs/profiles.md. Profiles themselves are read by config/profile.cpp.
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "app/commands.hpp"
#include "app/run_config.hpp"
#include "config/foreign/foreign.hpp"
#include "config/profile.hpp"
#include "config/run_settings.hpp"
#include "core/error.hpp"

namespace inferbench::app {

namespace {

void list_profiles() {
  std::size_t width = 0;
  for (const auto& p : config::builtin_profiles()) width = std::max(width, p.name.size());
  for (const auto& p : config::builtin_profiles()) fmt::print("{:<{}}  {}\n", p.name, width, p.description);
}

// Validates one profile (a built-in name, or a file when one exists at that path or the name
// ends in .yaml/.yml/.in) exactly as `inferbench run` would, without running it.
// `tokenizer` ("" = none) stands in for --tokenizer, which profiles of token-id data need.
void check_profile(const std::string& name, const std::string& tokenizer) {
  config::Values values(config::run_settings());
  if (!tokenizer.empty()) values.set("workload.tokenizer", tokenizer, config::Source::Flag);
  const bool file =
      std::filesystem::exists(name) || name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".in");
  if (file) {
    config::load_profile_file(values, name);
  } else {
    const auto& p = config::builtin_profile(name);
    config::load_profile(values, p.yaml, "profile " + p.name);
  }
  values.check_exclusions();
  const RunConfig run = make_run_config(values);
  fmt::print("ok  {} ({} load point{})\n", name, run.points.size(), run.points.size() == 1 ? "" : "s");
}

// Validates another tool's config (`--from FORMAT FILE`) as `inferbench run --from` would.
void check_foreign(const std::vector<std::string>& from, const std::string& tokenizer, bool strict) {
  config::Values values(config::run_settings());
  if (!tokenizer.empty()) values.set("workload.tokenizer", tokenizer, config::Source::Flag);
  config::foreign::Translation t = config::foreign::load_file(values, from.at(0), from.at(1));
  std::erase_if(t.unsupported, [&](const config::foreign::Note& note) {
    const auto it = t.supplied_by.find(note.key);
    return !tokenizer.empty() && it != t.supplied_by.end() && it->second == "workload.tokenizer";
  });
  config::foreign::warn_or_fail(from.at(0), from.at(1), t, strict);
  values.check_exclusions();
  const RunConfig run = make_run_config(values);
  fmt::print("ok  {} ({} load point{})\n", from.at(1), run.points.size(), run.points.size() == 1 ? "" : "s");
}

}  // namespace

void add_profiles_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("profiles", "List the built-in profiles, one line each (show NAME prints one)");
  cmd->require_subcommand(0, 1);

  auto name = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "Print a built-in profile's YAML, to copy and edit");
  show->add_option("NAME", *name, "Profile name (inferbench profiles lists them)")->required();
  show->callback([name] { fmt::print("{}", config::builtin_profile(*name).yaml); });

  auto targets = std::make_shared<std::vector<std::string>>();
  auto tokenizer = std::make_shared<std::string>();
  auto* check = cmd->add_subcommand(
      "check", "Validate profiles as inferbench run would, without running (default: every built-in one)");
  check->add_option("PROFILE", *targets, "Built-in profile names or YAML files");
  check->add_option("--tokenizer", *tokenizer, "tokenizer.json (or its directory) for profiles whose data needs one");
  auto from = std::make_shared<std::vector<std::string>>();
  auto strict = std::make_shared<bool>(false);
  check->add_option("--from", *from, "Another tool's config instead, as inferbench run --from reads it")
      ->expected(2)
      ->type_name("FORMAT FILE");
  check->add_flag("--strict", *strict, "With --from: a key inferbench does not support is an error");
  check->callback([targets, tokenizer, from, strict] {
    if (!from->empty()) {
      check_foreign(*from, *tokenizer, *strict);
      return;
    }
    if (targets->empty()) {
      for (const auto& p : config::builtin_profiles()) check_profile(p.name, *tokenizer);
    }
    for (const auto& t : *targets) check_profile(t, *tokenizer);
  });

  // The generated block of docs/profiles.md; hidden: a maintainer's tool.
  cmd->add_subcommand("reference", "Print the generated part of docs/profiles.md")->group("")->callback([] {
    fmt::print("{}", config::profiles_reference_markdown(config::run_settings()));
  });

  cmd->callback([cmd] {
    if (cmd->get_subcommands().empty()) list_profiles();
  });
}

}  // namespace inferbench::app
