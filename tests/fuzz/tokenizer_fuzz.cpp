// libFuzzer target: tokenizer::Tokenizer::from_json (a tokenizer.json document). Only
// inferbench::Error may escape loading. When loading succeeds, a fixed short text is encoded:
// every id is inside the vocabulary, encode(text, true) is the special prefix + ids + suffix, count() agrees with
// encode(), decode() and the id/token maps answer without failing.
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
#include "tokenizer/tokenizer.hpp"

namespace {

using inferbench::fuzz::fail;

using namespace inferbench;
using inferbench::tokenizer::Tokenizer;

constexpr std::string_view kText =
    "Hello world, h\xc3\xa9llo <s>123 \xe2\x96\x81"
    "a\n\tab\xff";

void check_ids(const Tokenizer& t, const std::vector<std::int32_t>& ids) {
  const std::size_t vocab = t.vocab_size();
  for (const std::int32_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= vocab) fail();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  std::optional<Tokenizer> loaded;
  try {
    loaded = Tokenizer::from_json(json, "fuzz.json");
  } catch (const Error& e) {
    if (std::string_view(e.what()).empty()) fail();
    return 0;
  }
  const Tokenizer& t = *loaded;
  const std::vector<std::int32_t> ids = t.encode(kText);
  check_ids(t, ids);
  if (t.count(kText) != ids.size()) fail();
  const std::vector<std::int32_t> with_special = t.encode(kText, true);
  // Not checked against vocab_size: a post-processor's special_tokens may name any id, as in HF
  // (docs/fuzzing.md). The template's ids surround the text's.
  const auto& prefix = t.special_prefix();
  const auto& suffix = t.special_suffix();
  if (with_special.size() < prefix.size() + suffix.size()) fail();
  if (!std::equal(prefix.begin(), prefix.end(), with_special.begin())) fail();
  if (!std::equal(suffix.rbegin(), suffix.rend(), with_special.rbegin())) fail();
  (void)t.decode(ids);
  (void)t.decode(ids, true);
  for (const std::int32_t id : ids) {
    if (!t.id_to_token(id)) fail();  // an id encode() gave must have a token text
  }
  const std::vector<std::int32_t>& regular = t.regular_ids();
  for (std::size_t i = 0; i < regular.size(); ++i) {
    if (i > 0 && regular[i] <= regular[i - 1]) fail();
    if (t.is_added(regular[i])) fail();
  }
  if (t.encode("").size() != 0) fail();
  return 0;
}
