#pragma once
// Number formatting shared by the terminal tables: undefined values print as "-", never 0.
#include <string>

namespace inferbench::report {

// Fixed-point number with `decimals` digits, or "-" when not finite.
std::string num(double v, int decimals = 2);
// A fraction as a percentage with one decimal ("12.5%"), or "-" when not finite.
std::string percent(double fraction);

}  // namespace inferbench::report
