#pragma once
// The experiments built into the binary (the YAML files of experiments/, embedded at build
// time): `inferbench experiment NAME` runs one, `inferbench experiment --list` lists them.
#include <string>
#include <string_view>
#include <vector>

namespace inferbench::experiment {

struct BuiltinExperiment {
  std::string name;
  std::string yaml;
  std::string description;  // its `description:` value, "" when it has none
};
// Every built-in experiment, sorted by name.
const std::vector<BuiltinExperiment>& builtin_experiments();
// The built-in experiment `name`, or nullptr.
const BuiltinExperiment* find_builtin_experiment(std::string_view name);

}  // namespace inferbench::experiment
