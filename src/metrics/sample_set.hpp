#pragma once
// One distribution built sample by sample, in bounded memory (docs/metrics.md, "Statistics").
//
// Exact while it holds at most `exact_limit` entries: every sample is kept (those of exactly 0 as
// one count, an entry of their own) and describe() is describe() / describe_weighted() over them
// (numpy's linear percentiles). The entry that would pass the limit folds every sample into a
// log-linear Histogram of nanoseconds with 2^10 sub-buckets per power of two and frees them: from
// then on memory stays flat, count, min, max stay exact, mean and std are computed from running
// sums, and each percentile is within kHistogramRelativeError of the exact one (plus half a
// nanosecond of rounding). The choice depends only on the number of entries, never on their order,
// so a run and a merge of its shards describe the same samples the same way.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "metrics/block_buffer.hpp"
#include "metrics/histogram.hpp"
#include "metrics/stats.hpp"

namespace inferbench::metrics {

// Entries a distribution keeps exactly before it switches to a histogram (output.exact_samples).
inline constexpr std::size_t kDefaultExactSamples = std::size_t{1} << 22;
// Sub-bucket bits of the fallback histogram, and its relative error bound 2^−(b+1).
inline constexpr int kHistogramSubBucketBits = 10;
inline constexpr double kHistogramRelativeError = 1.0 / 2048.0;

class SampleSet {
 public:
  explicit SampleSet(std::size_t exact_limit = kDefaultExactSamples);

  // Adds `weight` equal observations of `value_ms` (a duration in ms; finite). weight 0 is ignored.
  void add(double value_ms, std::uint64_t weight = 1);
  // The distribution of everything added; relative_error is 0 while it is exact.
  Distribution describe() const;
  // Whether every sample is still kept.
  bool exact() const { return histogram_ == nullptr; }
  // Observations added (Σ weight).
  std::uint64_t count() const { return count_; }
  // The sample at each of `ranks` (0-based in the expanded order, ascending, each < count()):
  // exact while exact, else the histogram's estimate within the same bound as describe()'s.
  std::vector<double> at_ranks(std::span<const std::uint64_t> ranks) const;

 private:
  void fold_into_histogram();
  // Adds to the running moments (kept only once folded).
  void add_moments(double value_ms, std::uint64_t weight);
  // Puts unweighted values_ in ascending order once, for describe() and at_ranks() alike (the
  // order of values_ means nothing else; an add() after it appends out of order). Call after
  // gather(): it sorts values_ only.
  void sort_values() const;
  // Moves the samples added since the last call to the end of values_ (and weights_).
  void gather() const;
  // The kept samples with weights, zeros as one entry. Call after gather(), when weighted_.
  std::vector<WeightedSample> weighted_samples() const;
  // The last of values_ followed by added_ (the largest once sorted), which must not be empty.
  double last_kept() const { return added_.size() > 0 ? added_.back() : values_.back(); }
  // Entries kept while exact: values_ followed by added_, and the zeros.
  std::size_t entries() const { return values_.size() + added_.size() + (zeros_ > 0 ? 1 : 0); }

  std::size_t limit_;
  // While exact: the samples, in the order they came (or sorted, see values_sorted_), values_
  // followed by added_; add() appends to added_ only, which never moves what it holds
  // (BlockBuffer), and describe() and at_ranks() gather it into values_.
  mutable std::vector<double> values_;
  mutable BlockBuffer<double> added_;
  mutable bool values_sorted_ = true;                 // (unweighted only)
  mutable std::vector<std::uint64_t> weights_;        // parallel to values_ once a weight other than 1 came
  mutable BlockBuffer<std::uint64_t> added_weights_;  // parallel to added_, likewise
  std::uint64_t zeros_ = 0;  // while exact: observations of exactly 0, which values_ does not hold
  bool weighted_ = false;
  std::unique_ptr<Histogram> histogram_;
  // Running moments about the first sample (so that large offsets keep their precision), summed
  // when the samples are folded and from then on; min and max are exact throughout.
  std::uint64_t count_ = 0;
  double shift_ = 0.0;
  long double sum_ = 0.0;
  long double sum_squares_ = 0.0;
  double min_ = kNaN;
  double max_ = kNaN;
};

}  // namespace inferbench::metrics
