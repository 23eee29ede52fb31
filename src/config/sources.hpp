#pragma once
// The ways values reach a `Values` store, all derived from the schema: CLI flags, `-o`
// overrides and YAML documents. Precedence (default < file < flag < override) is the store's,
// so the order in which sources are read does not matter.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <CLI/CLI.hpp>

#include "config/values.hpp"

namespace inferbench::config {

// Adds one option per declared flag to `cmd` (help text, default, type name and group from the
// declaration; bool flags as flags, inverted ones setting false; list-of-strings flags
// repeatable), plus `-o,--set KEY=VALUE`. Each given option sets `values` (Source::Flag or
// Source::Override) when CLI11 runs its callback. `values` is borrowed: it must outlive `cmd`.
// `foreign`: the -o assignments that --from applied to another tool's file (bind_from fills it
// before -o's callback runs); they are left out here.
void bind(CLI::App& cmd, Values& values, const std::shared_ptr<const std::vector<std::string>>& foreign = nullptr);

// Applies one `-o` argument: "key.path=value" or several comma-separated
// ("load.rate=5,seed=7"). A comma starts a new assignment only when what follows up to '='
// is a declared key or has a dot, so list values keep their commas ("load.concurrency=1,4,16").
// Throws inferbench::Error "-o: unknown key 'load.rat' (did you mean 'load.rate'?)".
void apply_override(Values& values, std::string_view text);
// The assignments of one `-o` argument, split as apply_override splits them.
std::vector<std::string> split_overrides(const Schema& schema, std::string_view text);

// Sets one element inside a list or map setting from text, as `-o` does: "labels.gpu",
// "load.concurrency.1", "load.stages.0.rate". Returns false when no declared setting is a prefix
// of `key`. Throws inferbench::Error "ORIGIN: 'load.concurrency.2': index 2 is out of range: ...".
bool set_path(Values& values, std::string_view key, const std::string& text, Source source, std::string_view origin);

// Reads a YAML document of settings: nested maps spell key paths ({load: {rate: 5}}, or
// "load.rate: 5"). `filename` names the document in messages. Throws inferbench::Error
// "profile.yaml:3: unknown key 'load.rat' (did you mean 'load.rate'?)" and
// "profile.yaml:3: invalid load.rate '-1': must be > 0".
void load_yaml(Values& values, std::string_view text, std::string_view filename);
// Reads the YAML file at `path` (as load_yaml); throws inferbench::Error when it cannot be read.
void load_yaml_file(Values& values, const std::filesystem::path& path);
// Reads an already parsed map of settings at `source`, as load_yaml does (an experiment's
// constants and treatments override the profile they apply to). Keys may also be element paths
// ("labels.gpu: H100", "load.stages.0.rate: 5"). Messages name `filename` and the key's line
// when the node came from a document.
void load_yaml_map(Values& values, const YAML::Node& map, std::string_view filename, Source source);

}  // namespace inferbench::config
