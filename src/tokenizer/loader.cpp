// tokenizer.json -> TokenizerImpl. Every unsupported component is rejected by name.
#include <simdjson.h>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "core/error.hpp"
#include "tokenizer/tokenizer_impl.hpp"

namespace inferbench::tokenizer {
namespace {

// Ids index tables sized by the largest one; real vocabularies stay far below this.
constexpr std::int64_t kMaxTokenId = std::int64_t{1} << 24;

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// Error context: which file is being read.
struct Ctx {
  std::string origin;
  [[noreturn]] void fail(std::string_view what) const { throw Error(fmt::format("tokenizer {}: {}", origin, what)); }
};

std::optional<element> field(const element& e, std::string_view key) {
  object obj;
  if (e.get_object().get(obj)) return std::nullopt;
  element value;
  if (obj.at_key(key).get(value) || value.is_null()) return std::nullopt;
  return value;
}

std::string str(const Ctx& ctx, const element& e, std::string_view key) {
  const auto v = field(e, key);
  std::string_view s;
  if (!v || v->get_string().get(s)) ctx.fail(fmt::format("missing or non-string field {:?}", key));
  return std::string(s);
}

std::optional<std::string> opt_str(const element& e, std::string_view key) {
  const auto v = field(e, key);
  std::string_view s;
  if (!v || v->get_string().get(s)) return std::nullopt;
  return std::string(s);
}

bool boolean(const element& e, std::string_view key, bool fallback) {
  const auto v = field(e, key);
  bool b = fallback;
  if (v && v->get_bool().get(b)) return fallback;
  return b;
}

std::int64_t integer(const Ctx& ctx, const element& e, std::string_view key, std::int64_t fallback) {
  const auto v = field(e, key);
  if (!v) return fallback;
  std::int64_t i = 0;
  if (v->get_int64().get(i)) ctx.fail(fmt::format("field {:?} is not an integer", key));
  return i;
}

array arr(const Ctx& ctx, const element& e, std::string_view key) {
  const auto v = field(e, key);
  array a;
  if (!v || v->get_array().get(a)) ctx.fail(fmt::format("missing or non-array field {:?}", key));
  return a;
}

std::string type_of(const Ctx& ctx, const element& e, std::string_view component) {
  const auto t = opt_str(e, "type");
  if (!t) ctx.fail(fmt::format("{} without a \"type\"", component));
  return *t;
}

// {"String": "..."} or {"Regex": "..."} -> (pattern, is_regex).
std::pair<std::string, bool> pattern_of(const Ctx& ctx, const element& e, std::string_view component) {
  const auto p = field(e, "pattern");
  if (!p) ctx.fail(fmt::format("{} without a pattern", component));
  if (auto s = opt_str(*p, "String")) return {*s, false};
  if (auto r = opt_str(*p, "Regex")) return {*r, true};
  ctx.fail(fmt::format("{} pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}", component));
}

std::unique_ptr<Normalizer> build_normalizer(const Ctx& ctx, const element& e) {
  const std::string type = type_of(ctx, e, "normalizer");
  if (type == "NFC") return make_nfc();
  if (type == "NFD") return make_nfd();
  if (type == "Prepend") return make_prepend(str(ctx, e, "prepend"));
  if (type == "Replace") {
    auto [pattern, is_regex] = pattern_of(ctx, e, "Replace normalizer");
    return make_replace(pattern, is_regex, str(ctx, e, "content"));
  }
  if (type == "Strip") return make_strip(boolean(e, "strip_left", true), boolean(e, "strip_right", true));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (const element s : arr(ctx, e, "normalizers")) steps.push_back(build_normalizer(ctx, s));
    return make_sequence_normalizer(std::move(steps));
  }
  ctx.fail(fmt::format("unsupported normalizer {:?} (supported: NFC, NFD, Prepend, Replace, Strip, Sequence)", type));
}

SplitBehavior behavior_of(const Ctx& ctx, const std::string& name) {
  static const std::map<std::string, SplitBehavior, std::less<>> kNames = {
      {"Removed", SplitBehavior::kRemoved},
      {"Isolated", SplitBehavior::kIsolated},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous}};
  const auto it = kNames.find(name);
  if (it == kNames.end()) ctx.fail(fmt::format("unknown Split behavior {:?}", name));
  return it->second;
}

// prepend_scheme of a Metaspace pre-tokenizer or decoder (older files use add_prefix_space).
std::string prepend_scheme_of(const element& e) {
  if (auto s = opt_str(e, "prepend_scheme")) return *s;
  return boolean(e, "add_prefix_space", true) ? "always" : "never";
}

std::unique_ptr<PreTokenizer> build_pre_tokenizer(const Ctx& ctx, const element& e) {
  const std::string type = type_of(ctx, e, "pre_tokenizer");
  if (type == "Split") {
    auto [pattern, is_regex] = pattern_of(ctx, e, "Split pre-tokenizer");
    return make_split(pattern, is_regex, behavior_of(ctx, str(ctx, e, "behavior")), boolean(e, "invert", false));
  }
  if (type == "ByteLevel") return make_byte_level(boolean(e, "add_prefix_space", true), boolean(e, "use_regex", true));
  if (type == "Metaspace")
    return make_metaspace(opt_str(e, "replacement").value_or("\u2581"), prepend_scheme_of(e),
                          boolean(e, "split", true));
  if (type == "Digits") return make_digits(boolean(e, "individual_digits", false));
  if (type == "WhitespaceSplit") return make_whitespace_split();
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const element s : arr(ctx, e, "pretokenizers")) steps.push_back(build_pre_tokenizer(ctx, s));
    return make_sequence(std::move(steps));
  }
  ctx.fail(fmt::format(
      "unsupported pre_tokenizer {:?} (supported: Split, ByteLevel, Metaspace, Digits, WhitespaceSplit, Sequence)",
      type));
}

std::unique_ptr<Decoder> build_decoder(const Ctx& ctx, const element& e) {
  const std::string type = type_of(ctx, e, "decoder");
  if (type == "ByteLevel") return make_byte_level_decoder();
  if (type == "Metaspace")
    return make_metaspace_decoder(opt_str(e, "replacement").value_or("\u2581"), prepend_scheme_of(e));
  if (type == "Replace") {
    auto [pattern, is_regex] = pattern_of(ctx, e, "Replace decoder");
    return make_replace_decoder(pattern, is_regex, str(ctx, e, "content"));
  }
  if (type == "ByteFallback") return make_byte_fallback_decoder();
  if (type == "Fuse") return make_fuse_decoder();
  if (type == "Strip") {
    return make_strip_decoder(str(ctx, e, "content"), static_cast<std::size_t>(integer(ctx, e, "start", 0)),
                              static_cast<std::size_t>(integer(ctx, e, "stop", 0)));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> steps;
    for (const element s : arr(ctx, e, "decoders")) steps.push_back(build_decoder(ctx, s));
    return make_sequence_decoder(std::move(steps));
  }
  ctx.fail(fmt::format(
      "unsupported decoder {:?} (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)",
      type));
}

std::unique_ptr<BpeModel> build_model(const Ctx& ctx, const element& e, bool byte_level_input) {
  const std::string type = opt_str(e, "type").value_or(field(e, "merges") ? "BPE" : "?");
  if (type != "BPE") ctx.fail(fmt::format("unsupported model {:?} (only BPE is supported)", type));
  if (const auto dropout = field(e, "dropout")) {
    double d = 0;
    if (!dropout->get_double().get(d) && d > 0) ctx.fail("BPE dropout is not supported (encoding would be random)");
  }
  BpeConfig config;
  object vocab;
  const auto v = field(e, "vocab");
  if (!v || v->get_object().get(vocab)) ctx.fail("model without a \"vocab\" object");
  config.vocab.reserve(vocab.size());
  // Each token has one id and each id one token: with two tokens on one id, decoding could not
  // say which was meant (an id encode() gave had no text; found by fuzzing).
  std::unordered_map<std::int32_t, std::string> token_of_id;
  token_of_id.reserve(vocab.size());
  for (const auto kv : vocab) {
    std::int64_t id = 0;
    if (kv.value.get_int64().get(id)) ctx.fail(fmt::format("vocab entry {:?} has a non-integer id", kv.key));
    // Ids index tables sized by the largest one: a huge id would wrap to 32 bits or ask for
    // gigabytes (found by fuzzing). Real vocabularies stay far below this bound.
    if (id < 0 || id >= kMaxTokenId)
      ctx.fail(fmt::format("vocab entry {:?} has id {} (expected 0 to {})", kv.key, id, kMaxTokenId - 1));
    const auto [other, fresh_id] = token_of_id.emplace(static_cast<std::int32_t>(id), std::string(kv.key));
    if (!fresh_id) ctx.fail(fmt::format("vocab entries {:?} and {:?} share id {}", other->second, kv.key, id));
    if (!config.vocab.emplace(std::string(kv.key), static_cast<std::int32_t>(id)).second) {
      ctx.fail(fmt::format("vocab entry {:?} appears twice", kv.key));
    }
  }
  const array merges = arr(ctx, e, "merges");
  config.merges.reserve(merges.size());
  for (const element m : merges) {
    std::string_view s;
    array pair;
    if (!m.get_string().get(s)) {
      if (s.starts_with("#version")) continue;
      const auto space = s.find(' ');
      if (space == std::string_view::npos) ctx.fail(fmt::format("merge {:?} is not \"a b\"", s));
      config.merges.emplace_back(std::string(s.substr(0, space)), std::string(s.substr(space + 1)));
    } else if (!m.get_array().get(pair) && pair.size() == 2) {
      std::string_view a, b;
      if (pair.at(0).get_string().get(a) || pair.at(1).get_string().get(b)) ctx.fail("merge pair is not two strings");
      config.merges.emplace_back(std::string(a), std::string(b));
    } else {
      ctx.fail("merges must be \"a b\" strings or [\"a\", \"b\"] pairs");
    }
  }
  config.unk_token = opt_str(e, "unk_token");
  config.continuing_subword_prefix = opt_str(e, "continuing_subword_prefix").value_or("");
  config.end_of_word_suffix = opt_str(e, "end_of_word_suffix").value_or("");
  config.fuse_unk = boolean(e, "fuse_unk", false);
  config.byte_fallback = boolean(e, "byte_fallback", false);
  config.ignore_merges = boolean(e, "ignore_merges", false);
  config.byte_level_input = byte_level_input;
  return std::make_unique<BpeModel>(std::move(config));
}

// Adds the post-processor's ids around a single sequence to impl.prefix / impl.suffix.
void build_post_processor(const Ctx& ctx, const element& e, TokenizerImpl& impl) {
  const std::string type = type_of(ctx, e, "post_processor");
  if (type == "ByteLevel") return;  // only adjusts offsets
  if (type == "TemplateProcessing") {
    std::map<std::string, std::vector<std::int32_t>, std::less<>> specials;
    if (const auto sp = field(e, "special_tokens")) {
      object obj;
      if (sp->get_object().get(obj)) ctx.fail("TemplateProcessing special_tokens is not an object");
      for (const auto kv : obj) {
        std::vector<std::int32_t> ids;
        for (const element id : arr(ctx, kv.value, "ids")) {
          std::int64_t i = 0;
          if (id.get_int64().get(i)) ctx.fail("TemplateProcessing ids must be integers");
          ids.push_back(static_cast<std::int32_t>(i));
        }
        specials.emplace(std::string(kv.key), std::move(ids));
      }
    }
    bool seen_sequence = false;
    for (const element piece : arr(ctx, e, "single")) {
      if (const auto seq = field(piece, "Sequence")) {
        if (str(ctx, *seq, "id") != "A") ctx.fail("TemplateProcessing single template must use sequence $A");
        seen_sequence = true;
      } else if (const auto tok = field(piece, "SpecialToken")) {
        const auto it = specials.find(str(ctx, *tok, "id"));
        if (it == specials.end()) ctx.fail("TemplateProcessing names a special token it does not define");
        auto& target = seen_sequence ? impl.suffix : impl.prefix;
        target.insert(target.end(), it->second.begin(), it->second.end());
      } else {
        ctx.fail("TemplateProcessing template piece must be Sequence or SpecialToken");
      }
    }
    return;
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    // "cls": [token, id], "sep": [token, id]; single = cls A sep.
    const auto id_at = [&](std::string_view key) {
      const array a = arr(ctx, e, key);
      std::int64_t id = 0;
      if (a.size() != 2 || a.at(1).get_int64().get(id)) ctx.fail(fmt::format("{} {} must be [token, id]", type, key));
      return static_cast<std::int32_t>(id);
    };
    impl.prefix.push_back(id_at("cls"));
    impl.suffix.push_back(id_at("sep"));
    return;
  }
  if (type == "Sequence") {
    for (const element p : arr(ctx, e, "processors")) build_post_processor(ctx, p, impl);
    return;
  }
  ctx.fail(fmt::format(
      "unsupported post_processor {:?} (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, "
      "Sequence)",
      type));
}

element parse_root(const Ctx& ctx, simdjson::dom::parser& parser, std::string_view json) {
  element root;
  if (const auto err = parser.parse(json.data(), json.size()).get(root))
    ctx.fail(fmt::format("not valid JSON ({})", simdjson::error_message(err)));
  if (root.type() != element_type::OBJECT) ctx.fail("top level is not a JSON object");
  return root;
}

}  // namespace

std::shared_ptr<TokenizerImpl> parse_tokenizer_json(std::string_view json, std::string_view origin) {
  const Ctx ctx{std::string(origin)};
  simdjson::dom::parser parser;
  const element root = parse_root(ctx, parser, json);
  auto impl = std::make_shared<TokenizerImpl>();
  if (const auto n = field(root, "normalizer")) impl->normalizer = build_normalizer(ctx, *n);
  if (const auto p = field(root, "pre_tokenizer")) {
    impl->pre_tokenizer = build_pre_tokenizer(ctx, *p);
    impl->ascii_split = impl->pre_tokenizer->ascii_split();
  }
  const auto model = field(root, "model");
  if (!model) ctx.fail("no \"model\"");
  impl->model = build_model(ctx, *model, impl->pre_tokenizer && impl->pre_tokenizer->byte_level());
  if (const auto d = field(root, "decoder")) impl->decoder = build_decoder(ctx, *d);

  std::vector<AddedToken> added;
  if (const auto list = field(root, "added_tokens")) {
    array a;
    if (list->get_array().get(a)) ctx.fail("added_tokens is not an array");
    for (const element t : a) {
      AddedToken token;
      const std::int64_t id = integer(ctx, t, "id", -1);
      if (id < 0) ctx.fail("added token without an id");
      if (id >= kMaxTokenId) ctx.fail(fmt::format("added token id {} is out of range (0 to {})", id, kMaxTokenId - 1));
      token.id = static_cast<std::int32_t>(id);
      token.content = str(ctx, t, "content");
      token.single_word = boolean(t, "single_word", false);
      token.lstrip = boolean(t, "lstrip", false);
      token.rstrip = boolean(t, "rstrip", false);
      token.normalized = boolean(t, "normalized", true);
      token.special = boolean(t, "special", false);
      added.push_back(std::move(token));
    }
  }
  impl->added = std::make_unique<AddedVocabulary>(std::move(added), impl->normalizer.get());
  if (const auto pp = field(root, "post_processor")) build_post_processor(ctx, *pp, *impl);

  impl->vocab_size = impl->model->id_limit();
  for (const auto& t : impl->added->tokens())
    impl->vocab_size = std::max(impl->vocab_size, static_cast<std::size_t>(t.id) + 1);
  for (std::size_t id = 0; id < impl->model->id_limit(); ++id) {
    const auto i = static_cast<std::int32_t>(id);
    if (impl->model->id_to_token(i) && !impl->added->find(i)) impl->regular.push_back(i);
  }
  if (impl->decoder && impl->decoder->is_byte_level()) {
    TokenizerImpl::ByteLevelTable table;
    table.offsets.reserve(impl->vocab_size + 1);
    table.special.assign(impl->vocab_size, 0);
    for (std::size_t id = 0; id < impl->vocab_size; ++id) {
      const auto i = static_cast<std::int32_t>(id);
      table.offsets.push_back(static_cast<std::uint32_t>(table.bytes.size()));
      if (const AddedToken* t = impl->added->find(i)) {
        append_byte_level_token(t->content, table.bytes);
        table.special[id] = t->special;
      } else if (const std::string* token = impl->model->id_to_token(i)) {
        append_byte_level_token(*token, table.bytes);
      }
    }
    table.offsets.push_back(static_cast<std::uint32_t>(table.bytes.size()));
    impl->byte_level_table = std::move(table);
  }
  return impl;
}

void parse_tokenizer_config(std::string_view json, std::string_view origin, TokenizerImpl& impl) {
  // nlohmann, not simdjson: these files hold integers beyond 64 bits (model_max_length: 1e30).
  const Ctx ctx{std::string(origin)};
  const auto root = nlohmann::json::parse(json, nullptr, false);
  if (root.is_discarded() || !root.is_object()) ctx.fail("not a valid JSON object");
  // bos_token / eos_token are a string or an AddedToken object {"content": ...}.
  const auto token = [&](const char* key) -> std::optional<std::string> {
    const auto it = root.find(key);
    if (it == root.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
      return (*it)["content"].get<std::string>();
    return std::nullopt;
  };
  impl.bos_token = token("bos_token");
  impl.eos_token = token("eos_token");
}

}  // namespace inferbench::tokenizer
