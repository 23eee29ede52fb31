#pragma once
// Helpers of the config tests: `inferbench run`'s flags parsed into a Values store.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/profile.hpp"
#include "config/run_settings.hpp"
#include "config/sources.hpp"
#include "config/values.hpp"

namespace inferbench::config::testing {

// A `run`-like command bound to a fresh store; parse() feeds it arguments as a shell would.
struct Cli {
  CLI::App app{"test"};
  std::unique_ptr<Values> values = std::make_unique<Values>(run_settings());
  Cli() {
    bind_profile(app, *values);  // as `inferbench run` binds them: the profile first
    bind(app, *values);
  }
  // Parses `args` (without the program name); CLI11 and inferbench errors propagate.
  Values& parse(std::vector<std::string> args) {
    std::reverse(args.begin(), args.end());  // CLI11 takes the vector back to front
    app.parse(args);
    return *values;
  }
};

// The message of the inferbench::Error (or other std::exception) `fn` throws, "" when none.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace inferbench::config::testing
