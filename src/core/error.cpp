#include "core/error.hpp"

namespace inferbench {

void require(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

}  // namespace inferbench
