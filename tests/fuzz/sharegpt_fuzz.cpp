// libFuzzer target: workload::read_sharegpt. The reader takes a path: the input is written to a
// scratch file. Only inferbench::Error may escape. Invariants: entries come in increasing index
// order, skipped entries are counted (a few quoted), and OnBadLine::Stop returns what Skip
// returns when nothing is bad and throws when something is.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "fuzz_support.hpp"
#include "workload/datasets.hpp"

namespace {

using inferbench::fuzz::fail;

using namespace inferbench;
using namespace inferbench::workload;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto path = fuzz::input_file(text, ".json");

  std::optional<std::vector<ShareGptEntry>> skipped;
  BadLines bad;
  try {
    skipped = read_sharegpt(path, OnBadLine::Skip, bad);
  } catch (const Error& e) {
    if (std::string_view(e.what()).empty()) fail();
  }
  if (bad.first.size() > bad.count) fail();
  if (bad.count > 0 && bad.first.empty()) fail();
  if (skipped) {
    std::size_t last = 0;
    for (std::size_t i = 0; i < skipped->size(); ++i) {
      const ShareGptEntry& e = (*skipped)[i];
      if (i > 0 && e.index <= last) fail();
      last = e.index;
      if (e.prompt.size() + e.reply.size() > size) fail();
    }
    if (skipped->size() + bad.count > size) fail();
  }

  BadLines bad_stop;
  std::optional<std::vector<ShareGptEntry>> stopped;
  try {
    stopped = read_sharegpt(path, OnBadLine::Stop, bad_stop);
  } catch (const Error&) {}
  if (skipped.has_value() && bad.count == 0) {
    if (!stopped || stopped->size() != skipped->size()) fail();
    for (std::size_t i = 0; i < stopped->size(); ++i) {
      const ShareGptEntry &a = (*stopped)[i], &b = (*skipped)[i];
      if (a.prompt != b.prompt || a.reply != b.reply || a.index != b.index) fail();
    }
  } else if (stopped) {
    fail();  // Skip failed or skipped something, Stop did not stop
  }
  return 0;
}
