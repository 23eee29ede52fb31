#include "workload/length_dist.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"

namespace inferbench::workload {

namespace {

std::vector<std::string_view> split_colon(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  return parts;
}

double number(std::string_view part, std::string_view flag, std::string_view text) {
  double v = 0;
  const auto* end = part.data() + part.size();
  const auto [ptr, ec] = std::from_chars(part.data(), end, v);
  if (part.empty() || ec != std::errc() || ptr != end || !std::isfinite(v)) {
    throw Error(fmt::format("invalid {} '{}': '{}' is not a number", flag, text, part));
  }
  return v;
}

std::int64_t integer(std::string_view part, std::string_view flag, std::string_view text) {
  const double v = number(part, flag, text);
  if (v != std::floor(v)) throw Error(fmt::format("invalid {} '{}': '{}' is not an integer", flag, text, part));
  if (std::fabs(v) > 1e15) throw Error(fmt::format("invalid {} '{}': '{}' is out of range", flag, text, part));
  return static_cast<std::int64_t>(v);
}

}  // namespace

LengthDist LengthDist::fixed(std::int64_t n) {
  require(n >= 1 && n <= kMaxLength, fmt::format("a length must be in [1, {}], not {}", kMaxLength, n));
  LengthDist d;
  d.kind_ = Kind::Fixed;
  d.min_ = d.max_ = n;
  d.mean_ = static_cast<double>(n);
  return d;
}

LengthDist LengthDist::parse(std::string_view text, std::string_view flag) {
  const auto parts = split_colon(text);
  const auto bad = [&](std::string_view why) {
    return Error(
        fmt::format("invalid {} '{}': {} (use N, uniform:MIN:MAX, normal:MEAN:STD[:MIN:MAX] or "
                    "lognormal:MEAN:STD[:MIN:MAX])",
                    flag, text, why));
  };
  LengthDist d;
  if (parts.size() == 1) {
    const auto n = integer(parts[0], flag, text);
    if (n < 1 || n > kMaxLength) throw bad(fmt::format("a length must be in [1, {}]", kMaxLength));
    return fixed(n);
  }
  const std::string_view kind = parts[0];
  if (kind == "uniform") {
    if (parts.size() != 3) throw bad("uniform takes MIN:MAX");
    d.kind_ = Kind::Uniform;
    d.min_ = integer(parts[1], flag, text);
    d.max_ = integer(parts[2], flag, text);
    d.mean_ = (static_cast<double>(d.min_) + static_cast<double>(d.max_)) / 2;
    const double w = static_cast<double>(d.max_ - d.min_ + 1);
    d.std_ = std::sqrt((w * w - 1) / 12);
  } else if (kind == "normal" || kind == "lognormal") {
    if (parts.size() != 3 && parts.size() != 5) throw bad(fmt::format("{} takes MEAN:STD or MEAN:STD:MIN:MAX", kind));
    d.kind_ = kind == "normal" ? Kind::Normal : Kind::LogNormal;
    d.mean_ = number(parts[1], flag, text);
    d.std_ = number(parts[2], flag, text);
    if (d.std_ < 0) throw bad("STD must be >= 0");
    if (d.kind_ == Kind::LogNormal && d.mean_ <= 0) throw bad("a lognormal MEAN must be > 0");
    if (parts.size() == 5) {
      d.min_ = integer(parts[3], flag, text);
      d.max_ = integer(parts[4], flag, text);
    } else {
      d.min_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(d.mean_ - 5 * d.std_)));
      d.max_ = static_cast<std::int64_t>(std::floor(d.mean_ + 5 * d.std_));
    }
    if (d.kind_ == Kind::LogNormal) {
      const double s2 = std::log1p((d.std_ * d.std_) / (d.mean_ * d.mean_));
      d.log_sigma_ = std::sqrt(s2);
      d.log_mu_ = std::log(d.mean_) - s2 / 2;
    }
  } else {
    throw bad(fmt::format("unknown distribution '{}'", kind));
  }
  if (d.min_ < 1) throw bad("MIN must be >= 1");
  if (d.max_ > kMaxLength) throw bad(fmt::format("MAX must be <= {}", kMaxLength));
  if (d.min_ > d.max_) throw bad("MIN > MAX: no length can be drawn");
  if (d.kind_ != Kind::Uniform && (d.mean_ < static_cast<double>(d.min_) || d.mean_ > static_cast<double>(d.max_))) {
    throw bad("MEAN lies outside [MIN, MAX]");
  }
  if (d.kind_ != Kind::Uniform && d.std_ == 0) {
    // A point mass: the mean must be an integer length.
    if (d.mean_ != std::floor(d.mean_)) throw bad("with STD 0 the MEAN must be an integer");
    d.min_ = d.max_ = static_cast<std::int64_t>(d.mean_);
  }
  return d;
}

std::int64_t LengthDist::sample(Rng& rng) const {
  if (min_ == max_) return min_;
  if (kind_ == Kind::Uniform || kind_ == Kind::Fixed) {
    return std::uniform_int_distribution<std::int64_t>(min_, max_)(rng);
  }
  // Rejection: the mean lies inside [min, max] and the bounds are at least one length apart, so
  // every draw has a probability of acceptance bounded away from 0 unless STD is tiny against
  // the rounding; then rounding the mean is the answer.
  for (int attempt = 0; attempt < 10000; ++attempt) {
    double x = 0;
    if (kind_ == Kind::Normal) {
      x = std::normal_distribution<double>(mean_, std_)(rng);
    } else {
      x = std::exp(std::normal_distribution<double>(log_mu_, log_sigma_)(rng));
    }
    const double r = std::round(x);
    if (r >= static_cast<double>(min_) && r <= static_cast<double>(max_)) return static_cast<std::int64_t>(r);
  }
  return std::clamp(static_cast<std::int64_t>(std::llround(mean_)), min_, max_);
}

std::string LengthDist::str() const {
  switch (kind_) {
    case Kind::Fixed: return fmt::format("{}", min_);
    case Kind::Uniform: return fmt::format("uniform:{}:{}", min_, max_);
    case Kind::Normal: return fmt::format("normal:{}:{}:{}:{}", mean_, std_, min_, max_);
    case Kind::LogNormal: return fmt::format("lognormal:{}:{}:{}:{}", mean_, std_, min_, max_);
  }
  return {};
}

}  // namespace inferbench::workload
