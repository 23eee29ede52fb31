// The load-time analysis as JSON and as a terminal table.
#include <fmt/format.h>

#include "loadtime/vllm_log.hpp"

namespace inferbench::loadtime {

namespace {

nlohmann::json optional_number(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json category_json(const Category& c) {
  nlohmann::json j = {{"title", c.title},
                      {"elapsed", optional_number(c.elapsed)},
                      {"start", c.start ? nlohmann::json(c.start->text) : nlohmann::json()},
                      {"end", c.end ? nlohmann::json(c.end->text) : nlohmann::json()},
                      {"start_s", c.start ? nlohmann::json(c.start->s) : nlohmann::json()},
                      {"end_s", c.end ? nlohmann::json(c.end->s) : nlohmann::json()},
                      {"start_line", c.start_line},
                      {"end_line", c.end_line}};
  j["process"] = c.process ? nlohmann::json{{"name", c.process->name}, {"pid", c.process->pid}} : nlohmann::json();
  if (!c.children.empty()) {
    j["categories"] = nlohmann::json::array();
    for (const Category& child : c.children) j["categories"].push_back(category_json(child));
  }
  return j;
}

std::string process_label(const std::optional<Process>& p) {
  if (!p) return "-";
  return p->pid != 0 ? fmt::format("{} pid={}", p->name, p->pid) : p->name;
}

void table_rows(const std::vector<Category>& level, int depth, std::string& out) {
  for (const Category& c : level) {
    const std::string title = std::string(static_cast<std::size_t>(depth) * 2, ' ') + c.title;
    const std::string elapsed = c.elapsed ? fmt::format("{:9.3f} s", *c.elapsed) : std::string("        - ");
    const std::string start = c.start ? c.start->text : (c.start_line > 0 ? "(no time)" : "not found");
    out += fmt::format("  {:<26} {:<24} {:<20} {}\n", title, process_label(c.process), start, elapsed);
    table_rows(c.children, depth + 1, out);
  }
}

void fact(std::string& out, const char* label, const std::optional<double>& v, const char* unit) {
  if (v) out += fmt::format("  {:<34} {:.3f} {}\n", label, *v, unit);
}

}  // namespace

nlohmann::json to_json(const Analysis& a) {
  nlohmann::json categories = nlohmann::json::array();
  for (const Category& c : a.categories) categories.push_back(category_json(c));
  const Facts& f = a.facts;
  nlohmann::json sleep_wake = nlohmann::json::array();
  for (const SleepWake& e : f.sleep_wake) {
    sleep_wake.push_back({{"kind", e.kind},
                          {"line", e.line},
                          {"at", e.at ? nlohmann::json(e.at->text) : nlohmann::json()},
                          {"seconds", e.seconds},
                          {"freed_gib", optional_number(e.freed_gib)},
                          {"in_use_gib", optional_number(e.in_use_gib)}});
  }
  nlohmann::json facts = {{"version", f.version.empty() ? nlohmann::json() : nlohmann::json(f.version)},
                          {"model_size_gib", optional_number(f.model_size_gib)},
                          {"model_load_s", optional_number(f.model_load_s)},
                          {"load_rate_gib_s", optional_number(f.load_rate_gib_s)},
                          {"dynamo_transform_s", optional_number(f.dynamo_transform_s)},
                          {"compile_graph_s", optional_number(f.compile_graph_s)},
                          {"cached_graph_load_s", optional_number(f.cached_graph_load_s)},
                          {"torch_compile_s", optional_number(f.torch_compile_s)},
                          {"initial_free_memory_gib", optional_number(f.initial_free_memory_gib)},
                          {"free_memory_after_profiling_gib", optional_number(f.free_memory_after_profiling_gib)},
                          {"memory_profiling_s", optional_number(f.memory_profiling_s)},
                          {"available_kv_cache_gib", optional_number(f.available_kv_cache_gib)},
                          {"graph_capture_s", optional_number(f.graph_capture_s)},
                          {"init_engine_s", optional_number(f.init_engine_s)},
                          {"sleep_mode", f.sleep_mode ? nlohmann::json(*f.sleep_mode) : nlohmann::json()},
                          {"load_format", f.load_format.empty() ? nlohmann::json() : nlohmann::json(f.load_format)},
                          {"start_to_ready_s", optional_number(f.start_to_ready_s)},
                          {"sleep_wake", sleep_wake}};
  return {{"lines", a.lines},         {"timestamped", a.timestamped},
          {"processes", a.processes}, {"looks_like_vllm", a.looks_like_vllm},
          {"categories", categories}, {"facts", facts}};
}

std::string format_table(const Analysis& a) {
  std::string out = fmt::format("vLLM start-up: {} lines, {} with a timestamp, {} process group{}\n", a.lines,
                                a.timestamped, a.processes, a.processes == 1 ? "" : "s");
  out += fmt::format("  {:<26} {:<24} {:<20} {}\n", "category", "process", "start", "  elapsed");
  table_rows(a.categories, 0, out);
  const Facts& f = a.facts;
  out += "facts\n";
  if (!f.version.empty()) out += fmt::format("  {:<34} {}\n", "vLLM version", f.version);
  if (f.model_size_gib && f.model_load_s) {
    out += fmt::format("  {:<34} {:.3f} GiB in {:.3f} s", "model loading", *f.model_size_gib, *f.model_load_s);
    out += f.load_rate_gib_s ? fmt::format(" ({:.3f} GiB/s)\n", *f.load_rate_gib_s) : std::string("\n");
  }
  fact(out, "Dynamo bytecode transform", f.dynamo_transform_s, "s");
  fact(out, "compiling a graph", f.compile_graph_s, "s");
  fact(out, "loading the cached compiled graph", f.cached_graph_load_s, "s");
  fact(out, "torch.compile in total", f.torch_compile_s, "s");
  fact(out, "initial free memory", f.initial_free_memory_gib, "GiB");
  fact(out, "free memory after profiling", f.free_memory_after_profiling_gib, "GiB");
  fact(out, "memory profiling", f.memory_profiling_s, "s");
  fact(out, "available KV cache memory", f.available_kv_cache_gib, "GiB");
  fact(out, "CUDA graph capture", f.graph_capture_s, "s");
  fact(out, "init engine", f.init_engine_s, "s");
  if (f.sleep_mode) out += fmt::format("  {:<34} {}\n", "sleep mode", *f.sleep_mode ? "enabled" : "disabled");
  if (!f.load_format.empty()) out += fmt::format("  {:<34} {}\n", "load format", f.load_format);
  fact(out, "start → ready (routes listed)", f.start_to_ready_s, "s");
  for (const SleepWake& e : f.sleep_wake) {
    out += fmt::format("  {:<34} {:.6f} s", e.kind == "sleep" ? "fell asleep in" : "woke up in", e.seconds);
    if (e.freed_gib) out += fmt::format(" (freed {:.2f} GiB, {:.2f} GiB still in use)", *e.freed_gib, *e.in_use_gib);
    out += e.at ? fmt::format(" at {}\n", e.at->text) : std::string("\n");
  }
  return out;
}

}  // namespace inferbench::loadtime
