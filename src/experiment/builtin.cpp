#include "experiment/builtin.hpp"

#include <algorithm>
#include <utility>

#include <yaml-cpp/yaml.h>

namespace inferbench::experiment {

namespace detail {
std::vector<std::pair<std::string_view, std::string_view>> embedded_experiments();  // generated
}  // namespace detail

const std::vector<BuiltinExperiment>& builtin_experiments() {
  static const std::vector<BuiltinExperiment> experiments = [] {
    std::vector<BuiltinExperiment> out;
    for (const auto& [name, yaml] : detail::embedded_experiments()) {
      // Built in and tested (tests/experiment): each file parses.
      const YAML::Node root = YAML::Load(std::string(yaml));
      out.push_back({std::string(name), std::string(yaml), root["description"].as<std::string>("")});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }();
  return experiments;
}

const BuiltinExperiment* find_builtin_experiment(std::string_view name) {
  const auto& all = builtin_experiments();
  const auto it = std::find_if(all.begin(), all.end(), [name](const BuiltinExperiment& e) { return e.name == name; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace inferbench::experiment
