#pragma once
// Experiments: a matrix of benchmark runs from one file (docs/experiments.md). Two forms, as
// llm-d-benchmark and DoE tools write them:
//   treatments: `constants` merged into each of a list of `treatments` ({name, profile?, keys})
//   factors:    `factors: {KEY: [levels...]}` expanded to every combination
// Each cell is a complete set of run settings: its profile (a built-in name or a file), then
// the constants, then its treatment or levels (each layer overrides the one before).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/profile.hpp"
#include "config/values.hpp"

namespace inferbench::experiment {

struct Cell {
  std::string name;  // its folder: letters, digits, '.', '_', '-'; unique in the experiment
  // What sets it apart: (factor key, level) in the factors form; ("treatment", name) otherwise.
  std::vector<std::pair<std::string, std::string>> levels;
  config::Values settings;  // its run settings, checked against the schema
};

struct Plan {
  std::string name;                  // `experiment.name` or `name`, else the file's stem
  std::vector<std::string> factors;  // the factor keys (factors form), in the file's order
  std::vector<Cell> cells;
};

// Reads an experiment document (REPLACE_ENV_* tokens rendered first). Profile files named in it
// are read relative to `base_dir`. Throws inferbench::Error with the file, line and key:
// "exp.yaml:7: treatment 'c8': unknown key 'load.concurency' (did you mean 'load.concurrency'?)".
Plan plan_experiment(std::string_view text, std::string_view filename, const std::string& base_dir,
                     const config::EnvLookup& env = config::process_env);

// The cell's settings as a profile that `inferbench run PROFILE.yaml` reads back to the same
// values: every setting that is not at its default, one `key: JSON` line each. Secret values
// (API keys, header values, --launch) are never written: they become REPLACE_ENV_<NAME> tokens,
// and `secrets` receives (NAME, value) for the environment of the run that reads the file.
std::string cell_profile(const config::Values& settings, std::vector<std::pair<std::string, std::string>>& secrets);

}  // namespace inferbench::experiment
