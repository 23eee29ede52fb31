#pragma once
// Setup-time errors: thrown while configuring, caught by the app and printed as one line.
#include <stdexcept>
#include <string>

namespace inferbench {

// A user-facing error: its message is a complete one-line explanation.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws Error(message) if !condition.
void require(bool condition, const std::string& message);

}  // namespace inferbench
