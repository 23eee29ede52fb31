#pragma once
// Token-length distributions for prompts and outputs: "N", "uniform:MIN:MAX",
// "normal:MEAN:STD[:MIN:MAX]", "lognormal:MEAN:STD[:MIN:MAX]".
#include <cstdint>
#include <string>
#include <string_view>

#include "core/rng.hpp"

namespace inferbench::workload {

// A length distribution over integers in [min, max]. Normal and lognormal are truncated to
// their bounds by rejection (MEAN and STD are those of the untruncated length, also for
// lognormal); without bounds they default to [max(1, MEAN-5·STD), MEAN+5·STD].
class LengthDist {
 public:
  enum class Kind { Fixed, Uniform, Normal, LogNormal };

  // Parses the flag syntax above; `flag` names the flag in errors. Throws inferbench::Error
  // (one line) when the text is malformed or the distribution cannot be met (min > max,
  // min < 1, max above kMaxLength, mean outside [min, max], negative std).
  static LengthDist parse(std::string_view text, std::string_view flag);
  // A fixed length n (n ≥ 1).
  static LengthDist fixed(std::int64_t n);

  // One length in [min(), max()].
  std::int64_t sample(Rng& rng) const;

  Kind kind() const { return kind_; }
  std::int64_t min() const { return min_; }
  std::int64_t max() const { return max_; }
  double mean() const { return mean_; }   // the parameter (fixed: n; uniform: (min+max)/2)
  double stddev() const { return std_; }  // the parameter (fixed: 0)
  // The canonical text of the distribution ("128", "uniform:64:256", ...).
  std::string str() const;

  // Largest accepted length: 10 million tokens (beyond any model's context).
  static constexpr std::int64_t kMaxLength = 10'000'000;

 private:
  Kind kind_ = Kind::Fixed;
  std::int64_t min_ = 1;
  std::int64_t max_ = 1;
  double mean_ = 1;
  double std_ = 0;
  double log_mu_ = 0;  // lognormal: parameters of the underlying normal
  double log_sigma_ = 0;
};

}  // namespace inferbench::workload
