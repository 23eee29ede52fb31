#include "app/processes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <vector>

#include "app/child_process.hpp"
#include "app/merge_results.hpp"
#include "app/signals.hpp"
#include "core/error.hpp"

namespace inferbench::app {

namespace {

// This process's own arguments, as the kernel has them (argv[0] excluded).
std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  std::size_t begin = 0;
  while (begin < all.size()) {
    const std::size_t end = all.find('\0', begin);
    args.push_back(all.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  require(!args.empty(), "--processes: cannot read this process's arguments from /proc/self/cmdline");
  args.erase(args.begin());
  return args;
}

}  // namespace

int run_processes(const RunConfig& config, const Sharding& sharding, int processes,
                  const loadgen::HttpTargetOptions& target) {
  const auto count = static_cast<std::size_t>(processes);
  // A start far enough ahead for every child to build its workload and reach the server.
  const auto start_at = sharding.start_at.value_or(std::chrono::system_clock::now() + std::chrono::seconds(2) +
                                                   std::chrono::milliseconds(100) * processes);
  const double start_s = std::chrono::duration<double>(start_at.time_since_epoch()).count();
  // One id per invocation: two runs of one configuration must not merge into each other.
  const std::string run_id = fmt::format("{}-{:.0f}", sharding.run_id, start_s * 1000.0);

  std::vector<std::string> base = own_arguments();
  // Overrides come last and win over any flag; the parent's simulator is the one target.
  base.emplace_back("-o");
  base.emplace_back("shard.processes=1");
  base.emplace_back("-o");
  base.emplace_back(fmt::format("shard.start_at={:.6f}", start_s));
  base.emplace_back("-o");
  base.emplace_back("shard.run_id=" + run_id);
  if (config.use_sim) {
    base.emplace_back("-o");
    base.emplace_back("target.endpoint=" + target.client.url.str());
  }
  if (config.target.model.empty()) {
    base.emplace_back("-o");
    base.emplace_back("target.model=" + target.model);
  }
  fmt::print(stderr, "inferbench: running {} shard processes (run {}), starting together at {:.3f}\n", processes,
             run_id, start_s);
  std::vector<pid_t> children;
  for (std::size_t k = 0; k < count; ++k) {
    std::vector<std::string> args = base;
    args.emplace_back("-o");
    args.emplace_back(fmt::format("shard.id={}/{}", k, count));
    children.push_back(spawn_self(args, /*quiet=*/true));  // the parent prints the merged table
  }

  const std::vector<int> codes = wait_children(children);
  int worst = 0;
  for (std::size_t k = 0; k < count; ++k) {
    if (codes[k] == 0 || codes[k] == 3) continue;  // a gate is judged on the merged result
    fmt::print(stderr, "inferbench: shard {}/{} exited with code {}\n", k, count, codes[k]);
    worst = codes[k] == 130 ? 130 : std::max(worst, 1);
  }
  if (worst != 0) {
    fmt::print(stderr, "inferbench: not merged: a shard did not finish (the shards' results are in {}/shard-K)\n",
               config.output_dir);
    return worst;
  }
  std::vector<std::string> inputs;
  for (std::size_t k = 0; k < count; ++k) inputs.push_back(fmt::format("{}/shard-{}", config.output_dir, k));
  MergeOutcome merged = merge_results(inputs, config.output_dir, config.json);
  if (merged.exit_code != 0) return merged.exit_code;
  return gate_exit_code(config, merged.points);
}

}  // namespace inferbench::app
