// libFuzzer target: workload::read_jsonl. The reader takes a path: the input is written to a
// scratch file. Only inferbench::Error may escape. Invariants: records come in increasing line
// order within the file, each has a prompt or messages, output_tokens is positive, skipped lines
// are counted, and OnBadLine::Stop returns what Skip returns when nothing is bad and throws
// when something is.
#include <algorithm>
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

bool same(const JsonlEntry& a, const JsonlEntry& b) {
  if (a.prompt != b.prompt || a.output_tokens != b.output_tokens || a.line != b.line) return false;
  if (a.messages.size() != b.messages.size()) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto path = fuzz::input_file(text, ".jsonl");
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  std::optional<std::vector<JsonlEntry>> skipped;
  BadLines bad;
  try {
    skipped = read_jsonl(path, OnBadLine::Skip, bad);
  } catch (const Error& e) {
    if (std::string_view(e.what()).empty()) fail();
  }
  if (bad.first.size() > bad.count || (bad.count > 0 && bad.first.empty())) fail();
  if (skipped) {
    if (skipped->size() + bad.count > lines) fail();
    std::size_t last = 0;
    for (const JsonlEntry& e : *skipped) {
      if (e.line <= last || e.line > lines) fail();
      last = e.line;
      if (e.output_tokens && *e.output_tokens <= 0) fail();
      if (e.prompt.size() > size) fail();
    }
  }

  BadLines bad_stop;
  std::optional<std::vector<JsonlEntry>> stopped;
  try {
    stopped = read_jsonl(path, OnBadLine::Stop, bad_stop);
  } catch (const Error&) {}
  if (skipped.has_value() && bad.count == 0) {
    if (!stopped || stopped->size() != skipped->size()) fail();
    for (std::size_t i = 0; i < stopped->size(); ++i) {
      if (!same((*stopped)[i], (*skipped)[i])) fail();
    }
  } else if (stopped) {
    fail();
  }
  return 0;
}
