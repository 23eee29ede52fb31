#include "report/format.hpp"

#include <fmt/format.h>

#include <cmath>

namespace inferbench::report {

std::string num(double v, int decimals) {
  if (!std::isfinite(v)) return "-";
  return fmt::format("{:.{}f}", v, decimals);
}

std::string percent(double fraction) {
  if (!std::isfinite(fraction)) return "-";
  return fmt::format("{:.1f}%", fraction * 100.0);
}

}  // namespace inferbench::report
