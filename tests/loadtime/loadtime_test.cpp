// The vLLM load-time parser on real log excerpts of several vLLM versions (data/README.md names
// each source), with every expected value read off the excerpt by hand, and on the cases where
// llm-d's parser goes wrong.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "loadtime/vllm_log.hpp"

namespace inferbench::loadtime {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in("tests/loadtime/data/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Category* find(const std::vector<Category>& level, const std::string& title, int nth = 0) {
  for (const Category& c : level) {
    if (c.title == title && nth-- == 0) return &c;
  }
  return nullptr;
}

TEST(VllmLog, PlatformDetectionOfVllm010Debug) {
  const Analysis a = analyze(fixture("vllm-0.10-platform-debug.log"));
  EXPECT_TRUE(a.looks_like_vllm);
  EXPECT_EQ(a.lines, 15u);
  EXPECT_EQ(a.timestamped, 15u);
  EXPECT_EQ(a.processes, 1u);  // untagged lines are one group
  const Category* detect = find(a.categories, "Detect Platform");
  ASSERT_NE(detect, nullptr);
  EXPECT_EQ(detect->start_line, 1u);
  EXPECT_EQ(detect->end_line, 14u);
  ASSERT_TRUE(detect->elapsed);
  EXPECT_DOUBLE_EQ(*detect->elapsed, 0.0);  // both 05:11:46
  EXPECT_FALSE(detect->process);
  const Category* imports = find(a.categories, "LLM Imports");
  EXPECT_EQ(imports->start_line, 14u);
  EXPECT_EQ(imports->end_line, 0u);  // no "Available plugins for group"
  EXPECT_FALSE(imports->elapsed);
  const Category* worker = find(a.categories, "Worker Initialization");
  EXPECT_EQ(worker->start_line, 15u);
  EXPECT_EQ(worker->start->text, "08-08 05:11:49");
  EXPECT_EQ(worker->start->s, 3.0);
}

TEST(VllmLog, AnEndBeforeItsStartDoesNotCount) {
  // 0.7.4: "detected platform" (line 8) comes before "No plugins for group" (line 10).
  const Analysis a = analyze(fixture("vllm-0.7.4-v1-debug.log"));
  const Category* detect = find(a.categories, "Detect Platform");
  EXPECT_EQ(detect->start_line, 10u);
  EXPECT_EQ(detect->end_line, 0u);
  EXPECT_EQ(find(a.categories, "LLM Imports")->start_line, 8u);
  const Category* info = find(a.categories, "Get Model Info");
  EXPECT_EQ(info->start_line, 11u);
  EXPECT_EQ(info->end_line, 0u);
  EXPECT_EQ(a.facts.version, "0.7.4.dev390+gdebd6bbf0");
}

TEST(VllmLog, GraphCaptureAndTheGapBeforeTheApiServer) {
  const Analysis a = analyze(fixture("vllm-0.9-v1-info.log"));
  const Category* capture = find(a.categories, "CUDA Graph Capture");
  EXPECT_EQ(capture->start_line, 2u);  // torch.compile takes 45.81 s, 11:03:17
  EXPECT_EQ(capture->end_line, 6u);    // init engine ..., 11:03:55
  EXPECT_DOUBLE_EQ(*capture->elapsed, 38.0);
  // The API server starts a second after the engine: an Uncategorized gap right before it.
  const Category* api = find(a.categories, "API Server Starts");
  EXPECT_EQ(api->start_line, 11u);
  EXPECT_EQ(api->end_line, 0u);
  const Category* gap = nullptr;
  for (std::size_t i = 0; i + 1 < a.categories.size(); ++i) {
    if (a.categories[i + 1].title == "API Server Starts") gap = &a.categories[i];
  }
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(gap->title, "Uncategorized");
  EXPECT_DOUBLE_EQ(*gap->elapsed, 1.0);
  EXPECT_EQ(gap->start_line, 6u);
  EXPECT_EQ(gap->end_line, 11u);
  EXPECT_DOUBLE_EQ(*a.facts.compile_graph_s, 36.76);
  EXPECT_DOUBLE_EQ(*a.facts.torch_compile_s, 45.81);
  EXPECT_DOUBLE_EQ(*a.facts.graph_capture_s, 37.0);
  EXPECT_DOUBLE_EQ(*a.facts.init_engine_s, 90.84);
  // No "non-default args:" in the excerpt: from its first line (11:03:11) to the routes (11:03:56).
  EXPECT_DOUBLE_EQ(*a.facts.start_to_ready_s, 45.0);
  EXPECT_FALSE(a.facts.model_load_s);
}

TEST(VllmLog, CompilationChildrenWithMillisecondsAndAFullDatePrefix) {
  const Analysis a = analyze(fixture("vllm-custom-format-ms.log"));
  EXPECT_EQ(a.timestamped, 11u);
  const Category* compile = find(a.categories, "Pytorch Compilation");
  EXPECT_EQ(compile->start_line, 3u);
  EXPECT_EQ(compile->end_line, 7u);
  EXPECT_NEAR(*compile->elapsed, 32.421 - 6.633, 1e-9);
  ASSERT_EQ(compile->children.size(), 2u);  // Dynamo, Inductor; no gap (Dynamo ends where Inductor starts)
  EXPECT_EQ(compile->children[0].title, "Dynamo");
  EXPECT_NEAR(*compile->children[0].elapsed, 0.001, 1e-9);
  EXPECT_EQ(compile->children[1].title, "Inductor");
  EXPECT_EQ(compile->children[1].start_line, 4u);
  EXPECT_NEAR(*compile->children[1].elapsed, 32.421 - 6.634, 1e-9);
  const Category* capture = find(a.categories, "CUDA Graph Capture");
  EXPECT_NEAR(*capture->elapsed, 53.725 - 32.421, 1e-9);
  EXPECT_DOUBLE_EQ(*a.facts.model_size_gib, 14.9889);
  EXPECT_DOUBLE_EQ(*a.facts.model_load_s, 18.506763);
  EXPECT_NEAR(*a.facts.load_rate_gib_s, 14.9889 / 18.506763, 1e-12);
  EXPECT_DOUBLE_EQ(*a.facts.dynamo_transform_s, 6.11);
  EXPECT_DOUBLE_EQ(*a.facts.compile_graph_s, 21.15);
  EXPECT_DOUBLE_EQ(*a.facts.torch_compile_s, 27.26);
}

TEST(VllmLog, ProcessTagsGroupLinesAndUntaggedProgressBarsAreTheirOwnGroup) {
  const Analysis a = analyze(fixture("vllm-0.11-enginecore-tags.log"));
  EXPECT_EQ(a.processes, 2u);
  EXPECT_EQ(a.timestamped, 9u);
  const Category* compile = find(a.categories, "Pytorch Compilation");
  ASSERT_TRUE(compile->process);
  EXPECT_EQ(compile->process->name, "EngineCore_DP0");
  EXPECT_EQ(compile->process->pid, 441);
  EXPECT_DOUBLE_EQ(*compile->elapsed, 15.0);          // 11:44:01 → 11:44:16
  EXPECT_DOUBLE_EQ(*a.facts.model_size_gib, 2.0513);  // "2.0513 GiB memory and 27.200487 seconds"
  EXPECT_DOUBLE_EQ(*a.facts.model_load_s, 27.200487);
  EXPECT_DOUBLE_EQ(*a.facts.available_kv_cache_gib, 33.31);
  EXPECT_DOUBLE_EQ(*a.facts.compile_graph_s, 13.62);
}

TEST(VllmLog, ApiServerRoutes) {
  const Analysis a = analyze(fixture("vllm-0.13-api-server-routes.log"));
  const Category* api = find(a.categories, "API Server Starts");
  EXPECT_EQ(api->start_line, 1u);
  EXPECT_EQ(api->process->name, "APIServer");
  EXPECT_EQ(api->process->pid, 84002);
  EXPECT_EQ(api->end_line, 0u);  // the excerpt stops before Route: /metrics
}

TEST(VllmLog, MemoryProfilingBehindACiPrefix) {
  const Analysis a = analyze(fixture("vllm-memory-profiling-ci.log"));
  EXPECT_EQ(a.timestamped, 4u);  // "2026-09-02T20:18:43" is not MM-DD HH:MM:SS; "09-02 20:06:36" is
  EXPECT_DOUBLE_EQ(*a.facts.initial_free_memory_gib, 78.66);
  EXPECT_DOUBLE_EQ(*a.facts.free_memory_after_profiling_gib, 77.45);
  EXPECT_DOUBLE_EQ(*a.facts.memory_profiling_s, 14.06);
  EXPECT_DOUBLE_EQ(*a.facts.available_kv_cache_gib, 64.27);
}

TEST(VllmLog, SleepAndWake) {
  const Analysis a = analyze(fixture("sleep-wake-messages.log"));
  ASSERT_EQ(a.facts.sleep_wake.size(), 2u);
  EXPECT_EQ(a.facts.sleep_wake[0].kind, "sleep");
  EXPECT_DOUBLE_EQ(a.facts.sleep_wake[0].seconds, 0.001315);
  EXPECT_DOUBLE_EQ(*a.facts.sleep_wake[0].freed_gib, 69.50);
  EXPECT_DOUBLE_EQ(*a.facts.sleep_wake[0].in_use_gib, 0.75);
  EXPECT_EQ(a.facts.sleep_wake[1].kind, "wake");
  EXPECT_DOUBLE_EQ(a.facts.sleep_wake[1].seconds, 0.000018);
  EXPECT_FALSE(a.facts.sleep_wake[1].freed_gib);
  EXPECT_EQ(a.facts.sleep_wake[1].at->text, "10-01 12:00:30");
}

// llm-d's bug: an end line without a timestamp makes it assign the line itself as the category's
// end details (`category.end = log_list[index]`), so the category loses its end. We take the
// time of the next timestamped line of the same process, as llm-d does for a start line.
TEST(VllmLog, AnEndLineWithoutATimestampTakesTheNextOne) {
  const std::string log =
      "INFO 05-06 10:00:00 [gpu_model_runner.py:1] Starting to load model meta-llama/Llama-3.1-8B...\n"
      "Model loading took 14.99 GiB and 9.5 seconds\n"
      "INFO 05-06 10:00:10 [backends.py:1] Dynamo bytecode transform time: 4.2 s\n";
  const Analysis a = analyze(log);
  const Category* loading = find(a.categories, "Model Loading");
  EXPECT_EQ(loading->start_line, 1u);
  EXPECT_EQ(loading->end_line, 2u);
  ASSERT_TRUE(loading->end);
  EXPECT_EQ(loading->end->text, "05-06 10:00:10");
  EXPECT_DOUBLE_EQ(*loading->elapsed, 10.0);
  EXPECT_DOUBLE_EQ(*a.facts.load_rate_gib_s, 14.99 / 9.5);
}

TEST(VllmLog, TagWithoutDigitsAndNestedParentheses) {
  const std::string log =
      "(VllmWorker rank=1 pid=abc) INFO 01-02 03:04:05 [x.py:1] Starting to load model m\n"
      "((Weird (VllmWorker rank=0 pid= 17 ) INFO 01-02 03:04:06 [x.py:1] Model loading took 1 GiB and 2 seconds\n";
  const Analysis a = analyze(log);
  EXPECT_EQ(a.processes, 2u);
  const Category* loading = find(a.categories, "Model Loading");
  ASSERT_TRUE(loading->process);
  EXPECT_EQ(loading->process->name, "VllmWorker rank=1");
  EXPECT_EQ(loading->process->pid, 0);  // "pid=abc": llm-d's int() fails, pid 0
  // The end is in another process group, found after the start's group has none.
  EXPECT_EQ(loading->end_line, 2u);
}

TEST(VllmLog, NewYearInTheMiddleOfAStartUp) {
  const std::string log =
      "INFO 12-31 23:59:50 [x.py:1] Starting to load model m\n"
      "INFO 01-01 00:00:05 [x.py:1] Model loading took 1 GiB and 15 seconds\n";
  EXPECT_DOUBLE_EQ(*find(analyze(log).categories, "Model Loading")->elapsed, 15.0);
}

TEST(VllmLog, ImpossibleDatesAreNotTimestamps) {
  const Analysis a = analyze("INFO 13-45 25:61:99 [x.py:1] Starting to load model m\n");
  EXPECT_EQ(a.timestamped, 0u);
  EXPECT_EQ(find(a.categories, "Model Loading")->start_line, 1u);
  EXPECT_FALSE(find(a.categories, "Model Loading")->start);
}

TEST(VllmLog, NotVllmAndEmptyAndBinary) {
  EXPECT_FALSE(analyze("").looks_like_vllm);
  EXPECT_EQ(analyze("").lines, 0u);
  EXPECT_FALSE(looks_like_vllm("inferbench sim: listening on 127.0.0.1:8000\n"));
  std::string binary(4096, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 131 % 256);
  const Analysis a = analyze(binary);
  EXPECT_GT(a.lines, 0u);
  EXPECT_NO_THROW((void)to_json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

TEST(VllmLog, JsonAndTable) {
  const Analysis a = analyze(fixture("vllm-custom-format-ms.log"));
  const nlohmann::json j = to_json(a);
  EXPECT_EQ(j["categories"][5]["title"], "Pytorch Compilation");
  EXPECT_EQ(j["categories"][5]["categories"][0]["title"], "Dynamo");
  EXPECT_DOUBLE_EQ(j["facts"]["model_load_s"].get<double>(), 18.506763);
  EXPECT_TRUE(j["facts"]["memory_profiling_s"].is_null());
  const std::string table = format_table(a);
  EXPECT_NE(table.find("Inductor"), std::string::npos);
  EXPECT_NE(table.find("14.989 GiB in 18.507 s (0.810 GiB/s)"), std::string::npos) << table;
}

}  // namespace
}  // namespace inferbench::loadtime
