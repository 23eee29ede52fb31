#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace inferbench {

TEST(Clock, ConvertsUnits) {
  EXPECT_DOUBLE_EQ(to_ms(std::chrono::microseconds(1500)), 1.5);
  EXPECT_DOUBLE_EQ(to_s(std::chrono::milliseconds(2500)), 2.5);
  EXPECT_EQ(from_s(0.25), std::chrono::milliseconds(250));
  EXPECT_EQ(from_ms(1.5), std::chrono::microseconds(1500));
}

TEST(Rng, StreamsAreReproducibleAndIndependent) {
  Rng a = make_rng(42, 1), b = make_rng(42, 1), c = make_rng(42, 2), d = make_rng(43, 1);
  const auto first = a();
  EXPECT_EQ(first, b());
  EXPECT_NE(first, c());
  EXPECT_NE(first, d());
}

TEST(Require, ThrowsWithMessage) {
  EXPECT_NO_THROW(require(true, "x"));
  try {
    require(false, "bad flag --rate: must be > 0");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "bad flag --rate: must be > 0");
  }
}

}  // namespace inferbench
