#pragma once
// Profiles: benchmarks written as YAML documents of settings (docs/profiles.md). A file
// (`inferbench run PROFILE.yaml`) or a built-in profile (`--profile NAME`) fills the store at
// Source::File, so flags and `-o` given with it override it. `REPLACE_ENV_<NAME>` tokens are
// filled from the environment first, as llm-d-benchmark renders its workload templates.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/values.hpp"

namespace inferbench::config {

// Looks up an environment variable (nullopt when unset); tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
std::optional<std::string> process_env(const std::string& name);

// `text` with every `REPLACE_ENV_<NAME>` (NAME: letters, digits, '_') replaced by the value of
// the environment variable NAME, as plain text. Throws inferbench::Error
// "profile.yaml:3: REPLACE_ENV_MODEL: the environment variable MODEL is not set".
std::string render_env_tokens(std::string_view text, std::string_view filename, const EnvLookup& env = process_env);

// Renders and reads one profile document into `values` (Source::File); `filename` names it in
// messages.
void load_profile(Values& values, std::string_view text, std::string_view filename, const EnvLookup& env = process_env);
// The same for the file at `path`; throws inferbench::Error when it cannot be read.
void load_profile_file(Values& values, const std::filesystem::path& path);

// A profile built into the binary (the YAML files of profiles/, embedded at build time).
struct BuiltinProfile {
  std::string name;
  std::string yaml;
  std::string description;  // its `description:` value, "" when it has none
};
// Every built-in profile, sorted by name.
const std::vector<BuiltinProfile>& builtin_profiles();
// The built-in profile `name`; throws inferbench::Error "unknown profile 'x' (did you mean
// 'y'?); inferbench profiles lists them".
const BuiltinProfile& builtin_profile(std::string_view name);

// Adds the positional `PROFILE.yaml` and `--profile NAME` to `cmd`. Call before config::bind,
// so that the profile is read before `-o` indexes into the lists it sets. `values` is borrowed.
void bind_profile(CLI::App& cmd, Values& values);

// The generated part of docs/profiles.md: every key as a profile writes it, and the built-in
// profiles.
std::string profiles_reference_markdown(const Schema& schema);

}  // namespace inferbench::config
