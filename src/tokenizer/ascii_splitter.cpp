#include "tokenizer/ascii_splitter.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {
namespace {

constexpr std::string_view kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kCl100k =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// HF's character classes restricted to ASCII: \p{L}, \p{N}, \s (its whitespace set), the rest.
enum Class : std::uint8_t { kOther, kLetter, kDigit, kSpace };

struct ClassTable {
  std::array<Class, 128> of{};
  ClassTable() {
    for (int c = 0; c < 128; ++c) {
      Class k = kOther;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        k = kLetter;
      else if (c >= '0' && c <= '9')
        k = kDigit;
      else if (is_whitespace(static_cast<char32_t>(c)))
        k = kSpace;
      of[static_cast<std::size_t>(c)] = k;
    }
  }
};

const ClassTable& classes() {
  static const ClassTable table;
  return table;
}

// Each method matches one piece of a pattern at i and returns where it ends (i when it does not match).
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s), of_(classes().of) {}

  std::size_t size() const { return s_.size(); }
  Class at(std::size_t i) const { return of_[static_cast<unsigned char>(s_[i])]; }
  bool is(std::size_t i, Class c) const { return i < s_.size() && at(i) == c; }
  bool crlf(std::size_t i) const { return i < s_.size() && (s_[i] == '\r' || s_[i] == '\n'); }

  std::size_t run(std::size_t i, Class c) const {
    while (is(i, c)) ++i;
    return i;
  }
  std::size_t crlf_run(std::size_t i) const {
    while (crlf(i)) ++i;
    return i;
  }
  // ` ?X+` for class X.
  std::size_t spaced_run(std::size_t i, Class c) const {
    if (s_[i] == ' ' && is(i + 1, c)) return run(i + 1, c);
    return run(i, c);
  }
  // 's|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive.
  std::size_t contraction(std::size_t i, bool any_case) const {
    if (s_[i] != '\'' || i + 1 >= s_.size()) return i;
    const auto letter = [&](std::size_t k) {
      const char c = s_[k];
      return any_case && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    const char a = letter(i + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if (i + 2 >= s_.size()) return i;
    const char b = letter(i + 2);
    if ((a == 'r' || a == 'v') && b == 'e') return i + 3;
    if (a == 'l' && b == 'l') return i + 3;
    return i;
  }
  // \s+(?!\S)|\s+ at whitespace: the run, less its last character if a non-space follows a run of two or more.
  std::size_t spaces(std::size_t i) const {
    const std::size_t j = run(i, kSpace);
    return j < s_.size() && j - i > 1 ? j - 1 : j;
  }

 private:
  std::string_view s_;
  const std::array<Class, 128>& of_;
};

std::size_t gpt2_match(const Scanner& sc, std::size_t i) {
  std::size_t e = sc.contraction(i, false);
  if (e == i) e = sc.spaced_run(i, kLetter);
  if (e == i) e = sc.spaced_run(i, kDigit);
  if (e == i) e = sc.spaced_run(i, kOther);
  if (e == i) e = sc.spaces(i);
  return e;
}

std::size_t cl100k_match(const Scanner& sc, std::size_t i, std::size_t max_digits) {
  if (const std::size_t e = sc.contraction(i, true); e != i) return e;
  const Class c = sc.at(i);
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (c == kLetter) return sc.run(i, kLetter);
  if (c != kDigit && !sc.crlf(i) && sc.is(i + 1, kLetter)) return sc.run(i + 1, kLetter);
  // \p{N}{1,max_digits}
  if (c == kDigit) {
    std::size_t j = i + 1;
    while (j - i < max_digits && sc.is(j, kDigit)) ++j;
    return j;
  }
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  if (const std::size_t e = sc.spaced_run(i, kOther); e != i) return sc.crlf_run(e);
  // \s*[\r\n]+: the whitespace run up to and including its last CR or LF, if it has one.
  const std::size_t j = sc.run(i, kSpace);
  for (std::size_t k = j; k > i; --k)
    if (sc.crlf(k - 1)) return k;
  // \s+(?!\S)|\s+
  return sc.spaces(i);
}

}  // namespace

std::optional<AsciiPattern> ascii_pattern_of(std::string_view pattern) {
  if (pattern == kGpt2) return AsciiPattern::kGpt2;
  if (pattern == kCl100k) return AsciiPattern::kCl100k;
  if (pattern == kQwen2) return AsciiPattern::kQwen2;
  return std::nullopt;
}

bool is_ascii(std::string_view s) {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (w & 0x8080808080808080ull) return false;
  }
  for (; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  return true;
}

std::size_t ascii_match_end(AsciiPattern pattern, std::string_view s, std::size_t i) {
  const Scanner sc(s);
  switch (pattern) {
    case AsciiPattern::kGpt2: return gpt2_match(sc, i);
    case AsciiPattern::kCl100k: return cl100k_match(sc, i, 3);
    case AsciiPattern::kQwen2: return cl100k_match(sc, i, 1);
  }
  return s.size();
}

void ascii_find_all(AsciiPattern pattern, std::string_view s, std::vector<std::pair<std::size_t, std::size_t>>& out) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t e = ascii_match_end(pattern, s, i);
    out.emplace_back(i, e);
    i = e;
  }
}

}  // namespace inferbench::tokenizer
