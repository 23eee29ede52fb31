// libFuzzer target: config::load_yaml over the run settings (a profile.yaml). Errors are
// inferbench::Error and nothing else: any other exception (yaml-cpp's, nlohmann's,
// std::logic_error from an undeclared key) escapes and is a finding. Invariants: loading is
// deterministic, every value read back has its declared type's shape, a setting set from the
// file is marked Source::File, and reading the same document twice is accepted.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/run_settings.hpp"
#include "config/sources.hpp"
#include "config/values.hpp"
#include "core/error.hpp"
#include "fuzz_support.hpp"

namespace {

using inferbench::fuzz::fail;

using namespace inferbench;
using namespace inferbench::config;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Schema& schema = run_settings();
  Values values(schema);
  bool loaded = false;
  try {
    load_yaml(values, text, "fuzz.yaml");
    loaded = true;
    values.check_exclusions();
  } catch (const Error& e) {
    if (std::string_view(e.what()).empty()) fail();
  }
  if (!loaded) return 0;

  Values again(schema);
  try {
    load_yaml(again, text, "fuzz.yaml");
    load_yaml(again, text, "fuzz.yaml");  // the same file twice: same values
  } catch (const Error&) {
    fail();  // it loaded the first time
  }
  for (const Setting& s : schema.settings()) {
    const Source source = values.source(s.key);
    if (source != Source::Default && source != Source::File) fail();
    if (values.get(s.key) != again.get(s.key) || again.source(s.key) != source) fail();
    (void)values.name(s.key);
    // The typed view of the setting's declared type reads back what was stored (nlohmann's
    // type_error escapes if the stored JSON does not have the type's shape).
    switch (s.type) {
      case Type::String: (void)values.str(s.key); break;
      case Type::Bool:
        if (!values.get(s.key).is_null()) (void)values.boolean(s.key);
        break;
      case Type::Integer:
        if (!values.get(s.key).is_null()) (void)values.integer(s.key);
        break;
      case Type::Number:
        if (!values.get(s.key).is_null()) (void)values.number(s.key);
        break;
      case Type::Duration: (void)values.duration(s.key); break;
      case Type::NumberList: (void)values.numbers(s.key); break;
      case Type::StringList: (void)values.strings(s.key); break;
      case Type::Json: (void)values.object(s.key); break;
    }
  }
  return 0;
}
