// Golden test: every id of the HF reference (npm `tokenizers`, Rust core) for the corpus, per tokenizer.
// Golden files: tests/tokenizer/golden/*.jsonl, made by make_golden.js from corpus.jsonl.
// The tokenizer.json files are licensed (Meta) and not committed: `(cd tests/tokenizer/node && npm ci)`.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace inferbench::tokenizer {
namespace {

using Ids = std::vector<std::int32_t>;

struct GoldenEntry {
  Ids ids;                   // encode(s, false)
  Ids with_special;          // encode(s, true)
  std::string decoded;       // decode(ids)
  std::string decoded_skip;  // decode(with_special, skip_special_tokens=true)
  bool round_trips = false;  // decoded == s
};

struct Golden {
  std::string file;
  std::uintmax_t file_bytes = 0;
  nlohmann::json patch;  // merged into the file's JSON for variants (null = use the file as is)
  std::vector<std::string> corpus;
  std::vector<GoldenEntry> entries;
};

std::vector<std::string> read_corpus() {
  std::ifstream in("tests/tokenizer/corpus.jsonl");
  EXPECT_TRUE(in) << "tests/tokenizer/corpus.jsonl missing (tests run from the repository root)";
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line).get<std::string>());
  return out;
}

Golden read_golden(const std::string& name) {
  Golden g;
  g.corpus = read_corpus();
  std::ifstream in("tests/tokenizer/golden/" + name + ".jsonl");
  EXPECT_TRUE(in) << "golden file for " << name << " missing";
  std::string line;
  std::getline(in, line);
  const auto header = nlohmann::json::parse(line);
  g.file = header.at("file").get<std::string>();
  g.file_bytes = header.at("file_bytes").get<std::uintmax_t>();
  if (header.contains("patch")) g.patch = header.at("patch");
  const std::size_t stride = header.value("stride", std::size_t{1});
  if (stride > 1) {
    std::vector<std::string> used;
    for (std::size_t k = 0; k < g.corpus.size(); k += stride) used.push_back(g.corpus[k]);
    g.corpus = std::move(used);
  }
  const auto prefix = header.at("prefix").get<Ids>();
  const auto suffix = header.at("suffix").get<Ids>();
  for (std::size_t k = 0; std::getline(in, line); ++k) {
    const auto j = nlohmann::json::parse(line);
    GoldenEntry e;
    e.ids = j.at("i").get<Ids>();
    if (j.contains("w")) {
      e.with_special = j.at("w").get<Ids>();
    } else {
      e.with_special = prefix;
      e.with_special.insert(e.with_special.end(), e.ids.begin(), e.ids.end());
      e.with_special.insert(e.with_special.end(), suffix.begin(), suffix.end());
    }
    e.round_trips = !j.contains("d") && !j.contains("dp");
    if (j.contains("d"))
      e.decoded = j.at("d").get<std::string>();
    else
      e.decoded = (j.contains("dp") ? j.at("dp").get<std::string>() : "") + g.corpus.at(k);
    e.decoded_skip = j.contains("k") ? j.at("k").get<std::string>() : e.decoded;
    g.entries.push_back(std::move(e));
  }
  EXPECT_EQ(g.entries.size(), g.corpus.size()) << "golden file for " << name << " does not match the corpus";
  return g;
}

// Same merge as make_golden.js: objects merged recursively, any other value (null included) replaces.
void apply_patch(nlohmann::json& target, const nlohmann::json& patch) {
  for (const auto& [key, value] : patch.items()) {
    if (value.is_object() && target.contains(key) && target[key].is_object())
      apply_patch(target[key], value);
    else
      target[key] = value;
  }
}

std::string show(const Ids& ids) {
  std::string s = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

class GoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    golden_ = read_golden(GetParam());
    // Not a skip: CI installs the oracle, and a missing file must not look like a pass.
    ASSERT_TRUE(std::filesystem::exists(golden_.file))
        << golden_.file << " is missing: install the reference files with `(cd tests/tokenizer/node && npm ci)`";
    ASSERT_EQ(std::filesystem::file_size(golden_.file), golden_.file_bytes)
        << golden_.file << " is not the file the golden ids were made from: run `(cd tests/tokenizer/node && npm ci)`";
    if (golden_.patch.is_null()) {
      tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::load(golden_.file));
    } else {
      std::ifstream in(golden_.file);
      auto json = nlohmann::json::parse(in);
      apply_patch(json, golden_.patch);
      tokenizer_ = std::make_unique<Tokenizer>(Tokenizer::from_json(json.dump(), GetParam()));
    }
  }
  Golden golden_;
  std::unique_ptr<Tokenizer> tokenizer_;
};

TEST_P(GoldenTest, EncodeMatchesEveryId) {
  std::size_t mismatches = 0, ids = 0;
  for (std::size_t k = 0; k < golden_.corpus.size(); ++k) {
    const Ids got = tokenizer_->encode(golden_.corpus[k], false);
    ids += golden_.entries[k].ids.size();
    if (got != golden_.entries[k].ids && ++mismatches <= 10)
      ADD_FAILURE() << "string #" << k << " " << nlohmann::json(golden_.corpus[k]).dump() << "\n  expected "
                    << show(golden_.entries[k].ids) << "\n  got      " << show(got);
  }
  EXPECT_EQ(mismatches, 0u) << "of " << golden_.corpus.size() << " strings (" << ids << " reference ids)";
  std::cout << "[ golden   ] " << GetParam() << ": " << golden_.corpus.size() - mismatches << "/"
            << golden_.corpus.size() << " strings, " << ids << " ids checked\n";
}

TEST_P(GoldenTest, EncodeWithSpecialTokensMatches) {
  std::size_t mismatches = 0;
  for (std::size_t k = 0; k < golden_.corpus.size(); ++k) {
    const Ids got = tokenizer_->encode(golden_.corpus[k], true);
    if (got != golden_.entries[k].with_special && ++mismatches <= 10)
      ADD_FAILURE() << "string #" << k << " " << nlohmann::json(golden_.corpus[k]).dump() << "\n  expected "
                    << show(golden_.entries[k].with_special) << "\n  got      " << show(got);
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST_P(GoldenTest, DecodeMatchesReference) {
  std::size_t mismatches = 0, round_trips = 0;
  for (std::size_t k = 0; k < golden_.corpus.size(); ++k) {
    const GoldenEntry& e = golden_.entries[k];
    const std::string got = tokenizer_->decode(e.ids);
    if (e.round_trips) {
      ++round_trips;
      // Wherever the reference round-trips, ours must too.
      EXPECT_EQ(got, golden_.corpus[k]) << "decode(encode(x)) != x for string #" << k;
    }
    if (got != e.decoded && ++mismatches <= 10)
      ADD_FAILURE() << "decode of string #" << k << ": expected " << nlohmann::json(e.decoded).dump() << " got "
                    << nlohmann::json(got).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  EXPECT_EQ(mismatches, 0u);
  // Sanity check that the golden file is not all "d" (variants with a prefix space never round-trip).
  if (golden_.patch.is_null()) {
    EXPECT_GT(round_trips, golden_.corpus.size() / 2);
  }
}

TEST_P(GoldenTest, DecodeSkipSpecialMatchesReference) {
  std::size_t mismatches = 0;
  for (std::size_t k = 0; k < golden_.corpus.size(); ++k) {
    const GoldenEntry& e = golden_.entries[k];
    const std::string got = tokenizer_->decode(e.with_special, true);
    if (got != e.decoded_skip && ++mismatches <= 10)
      ADD_FAILURE() << "decode(skip_special) of string #" << k << ": expected "
                    << nlohmann::json(e.decoded_skip).dump();
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST_P(GoldenTest, CountIsEncodeLength) {
  for (std::size_t k = 0; k < golden_.corpus.size(); k += 7)
    EXPECT_EQ(tokenizer_->count(golden_.corpus[k]), golden_.entries[k].ids.size()) << "string #" << k;
}

INSTANTIATE_TEST_SUITE_P(Reference, GoldenTest,
                         ::testing::Values("llama3", "qwen3", "llama2", "llama3-gpt2", "llama2-metaspace",
                                           "llama3-components", "llama2-components"),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string name = p.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace inferbench::tokenizer
