#pragma once
// The recorded engine outputs in tests/protocol/data (SSE streams, Prometheus expositions), for
// every test that replays them. A test target that includes this defines
// INFERBENCH_PROTOCOL_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/protocol/data".
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#ifndef INFERBENCH_PROTOCOL_TEST_DATA
#error "INFERBENCH_PROTOCOL_TEST_DATA must name tests/protocol/data (target_compile_definitions)"
#endif

namespace inferbench::protocol::test {

// The bytes of tests/protocol/data/`name`; a missing file fails the calling test.
inline std::string read_data(const std::string& name) {
  std::ifstream in(std::string(INFERBENCH_PROTOCOL_TEST_DATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace inferbench::protocol::test
