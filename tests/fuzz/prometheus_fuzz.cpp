// libFuzzer target: protocol::parse_prometheus (a server's /metrics text). Invariants: `error`
// and `error_line` agree, the line is inside the text, every sample has a name, parsing is
// deterministic, and the text cut at the failing line parses the same samples without error.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "protocol/prometheus.hpp"

namespace {

using inferbench::fuzz::fail;

using namespace inferbench::protocol;

bool same_samples(const PromExposition& a, const PromExposition& b, std::size_t n) {
  if (a.samples.size() < n || b.samples.size() < n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const PromSample& x = a.samples[i];
    const PromSample& y = b.samples[i];
    if (x.name != y.name || x.labels != y.labels || x.timestamp != y.timestamp) return false;
    if (!(x.value == y.value || (std::isnan(x.value) && std::isnan(y.value)))) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const PromParseResult r = parse_prometheus(text);
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  if (r.ok() != (r.error_line == 0)) fail();
  if (!r.ok()) {
    if (r.error_line > lines) fail();
    const std::string prefix = "line " + std::to_string(r.error_line) + ":";
    if (r.error.compare(0, prefix.size(), prefix) != 0) fail();
  }
  if (r.exposition.samples.size() > lines) fail();
  for (const PromSample& s : r.exposition.samples) {
    if (s.name.empty() || s.name.size() > size) fail();
    for (const auto& [key, value] : s.labels) {
      if (key.empty() || key.size() + value.size() > size) fail();
      if (s.label(key) == nullptr) fail();
    }
    (void)r.exposition.family_of(s.name);
  }
  for (const auto& [name, family] : r.exposition.families) {
    if (name.empty() || family.help.size() > size) fail();
    (void)to_string(family.type);
  }

  const PromParseResult again = parse_prometheus(text);
  if (again.error != r.error || !same_samples(again.exposition, r.exposition, r.exposition.samples.size()) ||
      again.exposition.samples.size() != r.exposition.samples.size()) {
    fail();
  }

  // The lines before the failing one parse on their own, to the same samples (unless the failure
  // is about the end of the text, such as a missing `# EOF` or something after it).
  if (!r.ok() && r.error_line > 1) {
    std::size_t cut = 0;
    for (std::size_t line = 1; line < r.error_line; ++line) cut = text.find('\n', cut) + 1;
    const PromParseResult head = parse_prometheus(text.substr(0, cut));
    if (head.ok() && !same_samples(head.exposition, r.exposition, r.exposition.samples.size())) fail();
  }
  return 0;
}
