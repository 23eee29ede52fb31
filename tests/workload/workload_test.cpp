// Length distributions: syntax, errors, bounds and moments (seeded).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "workload/length_dist.hpp"
#include "workload/word_prompts.hpp"

namespace inferbench::workload {
namespace {

struct Moments {
  double mean = 0, std = 0;
  std::int64_t min = 0, max = 0;
};

Moments sample(const LengthDist& d, int n, std::uint64_t seed = 1) {
  Rng rng = make_rng(seed, 7);
  std::vector<double> xs;
  Moments m{0, 0, d.max() + 1, d.min() - 1};
  for (int i = 0; i < n; ++i) {
    const auto x = d.sample(rng);
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
    xs.push_back(static_cast<double>(x));
    m.mean += static_cast<double>(x);
  }
  m.mean /= n;
  for (double x : xs) m.std += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(m.std / n);
  return m;
}

TEST(LengthDist, FixedAndSyntax) {
  const auto d = LengthDist::parse("2048", "--input-tokens");
  EXPECT_EQ(d.kind(), LengthDist::Kind::Fixed);
  Rng rng = make_rng(0, 0);
  EXPECT_EQ(d.sample(rng), 2048);
  EXPECT_EQ(d.str(), "2048");
  EXPECT_EQ(LengthDist::parse("uniform:10:20", "x").str(), "uniform:10:20");
  EXPECT_EQ(LengthDist::parse("normal:100:10", "x").min(), 50);
  EXPECT_EQ(LengthDist::parse("normal:100:10", "x").max(), 150);
  EXPECT_EQ(LengthDist::parse("normal:10:5", "x").min(), 1);  // never below 1
  EXPECT_EQ(LengthDist::parse("normal:100:0", "x").max(), 100);
}

TEST(LengthDist, ImpossibleDistributionsAreOneLineErrors) {
  for (const char* bad : {"0", "-3", "1.5", "abc", "uniform:5:2", "uniform:0:4", "uniform:4", "normal:100",
                          "normal:100:-1", "normal:100:10:200:300", "normal:100:10:50", "lognormal:0:1",
                          "lognormal:100:10:1:50", "poisson:4", "normal:100.5:0", "20000000", "uniform:1:20000000"}) {
    try {
      LengthDist::parse(bad, "--input-tokens");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--input-tokens"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
}

TEST(LengthDist, UniformCoversItsBoundsWithTheRightMoments) {
  const auto d = LengthDist::parse("uniform:100:300", "x");
  const auto m = sample(d, 40000);
  EXPECT_EQ(m.min, 100);
  EXPECT_EQ(m.max, 300);
  EXPECT_NEAR(m.mean, 200, 1.5);
  EXPECT_NEAR(m.std, std::sqrt((201.0 * 201.0 - 1) / 12), 1.0);
}

TEST(LengthDist, NormalHasItsMomentsAndStaysInBounds) {
  const auto d = LengthDist::parse("normal:550:150", "x");  // LLMPerf's default input
  const auto m = sample(d, 40000);
  EXPECT_GE(m.min, 1);
  EXPECT_LE(m.max, 550 + 5 * 150);
  EXPECT_NEAR(m.mean, 550, 3);
  EXPECT_NEAR(m.std, 150, 3);
  const auto bounded = sample(LengthDist::parse("normal:500:200:400:600", "x"), 20000);
  EXPECT_GE(bounded.min, 400);
  EXPECT_LE(bounded.max, 600);
  EXPECT_NEAR(bounded.mean, 500, 3);  // symmetric truncation keeps the mean
}

TEST(LengthDist, LogNormalHasTheGivenMeanAndStd) {
  const auto d = LengthDist::parse("lognormal:1000:400", "x");
  const auto m = sample(d, 60000);
  EXPECT_GE(m.min, d.min());
  EXPECT_LE(m.max, d.max());
  EXPECT_NEAR(m.mean, 1000, 10);
  EXPECT_NEAR(m.std, 400, 12);
  const auto bounded = sample(LengthDist::parse("lognormal:1000:400:900:1100", "x"), 5000);
  EXPECT_GE(bounded.min, 900);
  EXPECT_LE(bounded.max, 1100);
}

TEST(LengthDist, SeededAndReproducible) {
  const auto d = LengthDist::parse("normal:300:50", "x");
  Rng a = make_rng(42, 1), b = make_rng(42, 1), c = make_rng(43, 1);
  std::vector<std::int64_t> xa, xb, xc;
  for (int i = 0; i < 100; ++i) {
    xa.push_back(d.sample(a));
    xb.push_back(d.sample(b));
    xc.push_back(d.sample(c));
  }
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
}

TEST(WordPrompts, DistributionsGiveEachPromptItsWordCount) {
  const auto specs =
      make_word_prompts(200, LengthDist::parse("uniform:5:40", "x"), LengthDist::parse("uniform:1:9", "x"), 3);
  for (const auto& s : specs) {
    const auto words = 1 + std::count(s.prompt.begin(), s.prompt.end(), ' ');
    EXPECT_EQ(words, s.input_tokens);
    EXPECT_GE(s.input_tokens, 5);
    EXPECT_LE(s.input_tokens, 40);
    EXPECT_GE(s.max_tokens, 1);
    EXPECT_LE(s.max_tokens, 9);
  }
  // Fixed lengths give what the old interface gave.
  EXPECT_EQ(make_word_prompts(3, 16, 8, 5)[2].prompt,
            make_word_prompts(3, LengthDist::fixed(16), LengthDist::fixed(8), 5)[2].prompt);
}

}  // namespace
}  // namespace inferbench::workload
