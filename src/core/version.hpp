#pragma once
// The version of inferbench, from the one place it is set: project(VERSION) in CMakeLists.txt.
#include <string_view>

namespace inferbench {

inline constexpr std::string_view kVersion = INFERBENCH_VERSION;

}  // namespace inferbench
