// libFuzzer target: loadtime::analyze (a vLLM server log, any bytes). Invariants: it never throws;
// the line count is the text's; every category's lines are inside the text, an end comes after
// its start, elapsed exists exactly when both times do, gaps are positive; the load rate is size
// over time; JSON and the table can always be produced; analysing twice gives the same JSON.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "loadtime/vllm_log.hpp"

namespace {

using inferbench::fuzz::fail;
using namespace inferbench::loadtime;

void check(const std::vector<Category>& level, std::size_t lines) {
  for (const Category& c : level) {
    if (c.title.empty()) fail();
    if (c.start_line > lines || c.end_line > lines) fail();
    if (c.start && c.start_line == 0) fail();
    if (c.end && c.end_line == 0) fail();
    if (c.elapsed.has_value() != (c.start.has_value() && c.end.has_value())) fail();
    if (c.title == "Uncategorized" && !(c.elapsed && *c.elapsed > 0)) fail();
    if (c.title != "Uncategorized" && c.end_line != 0 && c.start_line == 0) fail();
    check(c.children, lines);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Analysis a = analyze(text);
  const std::size_t lines =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + (size > 0 && text.back() != '\n' ? 1 : 0);
  if (a.lines != lines || a.timestamped > a.lines || a.processes > a.lines) fail();
  if (a.lines > 0 && a.processes == 0) fail();
  check(a.categories, lines);
  const Facts& f = a.facts;
  if (f.load_rate_gib_s && !(f.model_size_gib && f.model_load_s && *f.model_load_s > 0)) fail();
  if (f.model_load_s.has_value() != f.model_size_gib.has_value()) fail();
  for (const SleepWake& e : f.sleep_wake) {
    if (e.line == 0 || e.line > lines || (e.kind != "sleep" && e.kind != "wake")) fail();
  }
  const auto handler = nlohmann::json::error_handler_t::replace;
  const std::string json = to_json(a).dump(-1, ' ', false, handler);
  if (to_json(analyze(text)).dump(-1, ' ', false, handler) != json) fail();
  (void)format_table(a);
  return 0;
}
