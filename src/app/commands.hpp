#pragma once
// Each subcommand lives in its own cmd_*.cpp and adds itself to the CLI here.
#include <CLI/CLI.hpp>

namespace inferbench::app {

// Adds `inferbench run` (online benchmark) to `app`.
void add_run_command(CLI::App& app);
// Adds `inferbench sim` (simulated OpenAI-compatible server) to `app`.
void add_sim_command(CLI::App& app);
// Adds `inferbench tokenize` (encode / count / decode with a tokenizer.json) to `app`.
void add_tokenize_command(CLI::App& app);
// Adds `inferbench profiles` (list, show, check the built-in profiles) to `app`.
void add_profiles_command(CLI::App& app);

}  // namespace inferbench::app
