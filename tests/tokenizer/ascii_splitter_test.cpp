// The hand-written ASCII matchers against PCRE2 running the same patterns: exhaustively over
// short strings of the characters that decide between alternatives, then on random longer text.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tokenizer/ascii_splitter.hpp"
#include "tokenizer/regex.hpp"

namespace inferbench::tokenizer {
namespace {

using Matches = std::vector<std::pair<std::size_t, std::size_t>>;

const char* const kPatterns[] = {
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
};

// Every character class and every character an alternative tests for by name.
const std::string kDeciders = std::string("'sSrReEvVlLdDtTmMx7 \n\r\t\v\f.") + '\x1c' + '\x1f' + '\0';

class AsciiSplitter : public ::testing::TestWithParam<const char*> {
 protected:
  void expect_same(const std::string& s) {
    Matches fast, pcre2;
    ascii_find_all(*pattern_, s, fast);
    reference_.find_all(s, pcre2);
    ASSERT_EQ(fast, pcre2) << "text " << ::testing::PrintToString(s);
  }
  std::optional<AsciiPattern> pattern_ = ascii_pattern_of(GetParam());
  Regex reference_{GetParam(), Regex::AsciiFastPath::kOff};
};

TEST_P(AsciiSplitter, PatternIsRecognized) { ASSERT_TRUE(pattern_.has_value()); }

TEST_P(AsciiSplitter, AllShortStringsOfDecidingCharacters) {
  ASSERT_TRUE(pattern_.has_value());
  const std::size_t k = kDeciders.size();
  for (std::size_t len = 0; len <= 4; ++len) {
    std::size_t total = 1;
    for (std::size_t i = 0; i < len; ++i) total *= k;
    std::string s(len, ' ');
    for (std::size_t n = 0; n < total; ++n) {
      for (std::size_t i = 0, v = n; i < len; ++i, v /= k) s[i] = kDeciders[v % k];
      expect_same(s);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_P(AsciiSplitter, RandomAsciiText) {
  ASSERT_TRUE(pattern_.has_value());
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> any(0, 127), pick(0, static_cast<int>(kDeciders.size()) - 1), len(0, 64),
      coin(0, 2);
  for (int n = 0; n < 100000; ++n) {
    std::string s(static_cast<std::size_t>(len(rng)), ' ');
    for (char& c : s) c = coin(rng) == 0 ? static_cast<char>(any(rng)) : kDeciders[static_cast<std::size_t>(pick(rng))];
    expect_same(s);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Patterns, AsciiSplitter, ::testing::ValuesIn(kPatterns));

TEST(AsciiSplitterScope, OtherPatternsAndNonAsciiTextUsePcre2) {
  EXPECT_FALSE(ascii_pattern_of(R"(\p{L}+|\s+)").has_value());
  EXPECT_TRUE(is_ascii(std::string(100, 'a') + "\x7f"));
  EXPECT_FALSE(is_ascii(std::string(100, 'a') + "\xc3\xa9"));
  EXPECT_FALSE(is_ascii("\xe2\x80\x83"));
}

}  // namespace
}  // namespace inferbench::tokenizer
