#pragma once
// vLLM start-up log analysis: where the time between `vllm serve` and a ready server goes, in
// llm-d-benchmark's `nop` harness categories (workload/harnesses/nop_functions.py), with the
// scalar facts vLLM prints (model size and load time, torch.compile, memory profiling, sleep
// and wake). See docs/offline.md, "Load-time analysis", for where we differ from llm-d.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace inferbench::loadtime {

// The `(name pid=N)` tag of a line (the last parenthesised group holding "pid="); vLLM V1 tags
// the API server, the engine core and the workers so. Untagged lines form one group of their own.
struct Process {
  std::string name;  // "APIServer", "EngineCore_DP0", "VllmWorker rank=0"
  std::int64_t pid = 0;
  bool operator==(const Process&) const = default;
};

// One timestamp of the log: seconds from the log's first timestamp, and the text as printed.
struct Stamp {
  double s = 0;
  std::string text;  // "05-06 10:22:33" or "05-06 10:22:33.123"
};

struct Category {
  std::string title;               // "Model Loading", or "Uncategorized" for a gap
  std::optional<Process> process;  // of the start line (else of the end line)
  std::size_t start_line = 0;      // 1-based line numbers; 0 = not found
  std::size_t end_line = 0;
  std::optional<Stamp> start;  // the start line's time (or the next timestamped line's)
  std::optional<Stamp> end;
  std::optional<double> elapsed;   // end − start, s, when both are known
  std::vector<Category> children;  // Pytorch Compilation: Dynamo, Inductor
};

struct SleepWake {
  std::string kind;  // "sleep" or "wake"
  std::size_t line = 0;
  std::optional<Stamp> at;
  double seconds = 0;               // "It took N seconds to fall asleep" / "to wake up"
  std::optional<double> freed_gib;  // sleep: "Sleep mode freed X GiB memory, Y GiB ... in use"
  std::optional<double> in_use_gib;
};

// What vLLM says about itself, each the first occurrence (as llm-d reads them).
struct Facts {
  std::optional<double> model_size_gib;  // "Model loading took X GiB and Y seconds" (older: GB)
  std::optional<double> model_load_s;
  std::optional<double> load_rate_gib_s;                  // size / time
  std::optional<double> dynamo_transform_s;               // "Dynamo bytecode transform time: X s"
  std::optional<double> compile_graph_s;                  // "Compiling a graph for ... takes X s"
  std::optional<double> cached_graph_load_s;              // "Directly load the compiled graph(s) for ... took X s"
  std::optional<double> torch_compile_s;                  // "torch.compile takes X s in total" (newer: took)
  std::optional<double> initial_free_memory_gib;          // "Initial free memory: X GiB"
  std::optional<double> free_memory_after_profiling_gib;  // "Free memory after profiling: X GiB"
  std::optional<double> memory_profiling_s;               // "Memory profiling takes X seconds"
  std::optional<double> available_kv_cache_gib;           // "Available KV cache memory: X GiB"
  std::optional<double> graph_capture_s;                  // "Graph capturing finished in X secs"
  std::optional<double> init_engine_s;     // "init engine (profile, create kv cache, warmup model) took X seconds"
  std::optional<bool> sleep_mode;          // "'enable_sleep_mode': True" in the non-default args
  std::string load_format;                 // "load_format=auto,"
  std::string version;                     // "vLLM API server version X" / "Initializing a V1 LLM engine (vX)"
  std::optional<double> start_to_ready_s;  // "non-default args:" (else the first stamp) → "Available routes are:"
  std::vector<SleepWake> sleep_wake;
};

struct Analysis {
  std::size_t lines = 0;             // lines read
  std::size_t timestamped = 0;       // of which carried a timestamp
  std::size_t processes = 0;         // distinct process tags (untagged lines count as one)
  bool looks_like_vllm = false;      // some line names vLLM or one of its start-up phrases
  std::vector<Category> categories;  // in llm-d's order, with Uncategorized gaps between
  Facts facts;
};

// Analyses a whole log. Never throws for its content (any bytes, any length); lines are split at
// '\n' (a trailing '\r' dropped). `model` (optional) skips a tensorizer serialization pass that
// precedes the real start-up ("End model MODEL serialization").
Analysis analyze(std::string_view log, std::string_view model = {});

// True when `log` looks like vLLM's output (names vLLM, or prints its load or engine phrases).
bool looks_like_vllm(std::string_view log);

// The analysis as JSON: {lines, timestamped, processes, categories: [{title, process{name,pid},
// start, end, start_line, end_line, elapsed, categories}], facts: {...}}.
nlohmann::json to_json(const Analysis& analysis);

// The analysis as a terminal table (categories indented, then the facts).
std::string format_table(const Analysis& analysis);

}  // namespace inferbench::loadtime
