#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.hpp"

#include <pcre2.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"
#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {
namespace {

// Ranges without the generator's empty-table sentinel (first >= 0x110000).
std::string class_items(std::span<const CodepointRange> ranges) {
  std::string out;
  for (const auto& r : ranges) {
    if (r.first >= 0x110000) continue;
    if (r.first == r.last)
      out += fmt::format("\\x{{{:X}}}", static_cast<unsigned>(r.first));
    else
      out += fmt::format("\\x{{{:X}}}-\\x{{{:X}}}", static_cast<unsigned>(r.first), static_cast<unsigned>(r.last));
  }
  return out;
}

bool has_items(std::span<const CodepointRange> ranges) { return !ranges.empty() && ranges.front().first < 0x110000; }

// Pattern text for \p{X} (positive) inside or outside a character class.
std::string property(char name, bool negated, bool in_class, std::string_view original) {
  const auto extra = name == 'L' ? extra_letters() : extra_numbers();
  const auto missing = name == 'L' ? missing_letters() : missing_numbers();
  const std::string base = fmt::format("\\p{{{}}}", name);
  if (has_items(missing)) {
    // PCRE2 knows letters HF does not: subtract them with a lookahead (outside classes only).
    if (in_class) throw Error(fmt::format("regex: cannot translate {} inside a character class", original));
    const std::string set = fmt::format("[{}{}]", base, class_items(extra));
    const std::string minus = fmt::format("[{}]", class_items(missing));
    return negated ? fmt::format("(?:(?!{}){}|{})", set, "[\\s\\S]", minus) : fmt::format("(?:(?!{}){})", minus, set);
  }
  if (!negated) return in_class ? base + class_items(extra) : fmt::format("[{}{}]", base, class_items(extra));
  if (in_class) {
    if (has_items(extra)) throw Error(fmt::format("regex: cannot translate {} inside a character class", original));
    return fmt::format("\\P{{{}}}", name);
  }
  return fmt::format("[^{}{}]", base, class_items(extra));
}

}  // namespace

std::string translate_pattern(std::string_view p) {
  const std::string ws = class_items(whitespace_ranges());
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[i + 1];
      if (e == 's') {
        out += in_class ? ws : "[" + ws + "]";
        ++i;
        continue;
      }
      if (e == 'S') {
        if (in_class) throw Error(fmt::format("regex: \\S inside a character class is not supported: {}", p));
        out += "[^" + ws + "]";
        ++i;
        continue;
      }
      if ((e == 'p' || e == 'P') && i + 4 < p.size() && p[i + 2] == '{' && p[i + 4] == '}' &&
          (p[i + 3] == 'L' || p[i + 3] == 'N')) {
        out += property(p[i + 3], e == 'P', in_class, p.substr(i, 5));
        i += 4;
        continue;
      }
      out += c;
      out += e;
      ++i;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal.
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

namespace {

struct Reclassified {
  std::vector<CodepointRange> ranges;  // sorted, disjoint
  bool lead[256] = {};                 // UTF-8 lead bytes of code points in ranges

  Reclassified() {
    for (const auto set : {extra_letters(), extra_numbers(), missing_letters(), missing_numbers()})
      for (const auto& r : set)
        if (r.first < 0x110000) ranges.push_back(r);
    ranges.push_back({0x180E, 0x180E});  // PCRE2's \s has it, HF's does not
    std::ranges::sort(ranges, {}, &CodepointRange::first);
    const auto lead_of = [](char32_t cp) {
      std::string s;
      append_utf8(s, cp);
      return static_cast<unsigned char>(s[0]);
    };
    for (const auto& r : ranges)
      for (unsigned b = lead_of(r.first); b <= lead_of(r.last); ++b) lead[b] = true;
  }
};

const Reclassified& reclassified() {
  static const Reclassified r;
  return r;
}

pcre2_code* compile(const std::string& pattern, std::string_view original) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &error, &offset, nullptr);
  if (!code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw Error(fmt::format("tokenizer regex {:?} rejected by PCRE2 at offset {}: {}", std::string(original), offset,
                            reinterpret_cast<const char*>(message)));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
  return code;
}

}  // namespace

bool has_reclassified_codepoint(std::string_view s) {
  const Reclassified& r = reclassified();
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (!r.lead[b]) {
      ++i;
      continue;
    }
    const char32_t cp = next_codepoint(s, i);
    const auto it = std::ranges::upper_bound(r.ranges, cp, {}, &CodepointRange::first);
    if (it != r.ranges.begin() && cp <= std::prev(it)->last) return true;
  }
  return false;
}

std::span<const CodepointRange> reclassified_ranges() { return reclassified().ranges; }

// `exact` is the translated pattern; `fast` the original, used for text without reclassified code points
// (null when translation changed nothing).
struct Regex::Impl {
  pcre2_code* exact = nullptr;
  pcre2_code* fast = nullptr;
  ~Impl() {
    if (exact) pcre2_code_free(exact);
    if (fast) pcre2_code_free(fast);
  }
};

Regex::Regex(std::string_view pattern, AsciiFastPath fast_path)
    : impl_(std::make_unique<Impl>()),
      translated_(translate_pattern(pattern)),
      ascii_(fast_path == AsciiFastPath::kOn ? ascii_pattern_of(pattern) : std::nullopt) {
  impl_->exact = compile(translated_, pattern);
  if (translated_ != pattern) impl_->fast = compile(std::string(pattern), pattern);
}

Regex::~Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;

void Regex::find_all(std::string_view subject, std::vector<std::pair<std::size_t, std::size_t>>& out) const {
  struct MatchData {
    pcre2_match_data* data = pcre2_match_data_create(4, nullptr);
    ~MatchData() { pcre2_match_data_free(data); }
  };
  if (ascii_ && is_ascii(subject)) {
    ascii_find_all(*ascii_, subject, out);
    return;
  }
  thread_local MatchData md;
  const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  pcre2_code* code = impl_->fast && !has_reclassified_codepoint(subject) ? impl_->fast : impl_->exact;
  std::size_t pos = 0;
  while (pos <= subject.size()) {
    const int rc = pcre2_match(code, s, subject.size(), pos, PCRE2_NO_UTF_CHECK, md.data, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) throw Error(fmt::format("tokenizer regex match failed (PCRE2 error {})", rc));
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.data);
    const std::size_t start = ov[0], end = ov[1];
    out.emplace_back(start, end);
    if (end > start) {
      pos = end;
    } else {
      if (end >= subject.size()) break;
      pos = end + utf8_length(static_cast<unsigned char>(subject[end]));
    }
  }
}

bool is_alphanumeric(char32_t cp) {
  static const Regex re("^[\\p{L}\\p{N}]$");
  std::string s;
  append_utf8(s, cp);
  std::vector<std::pair<std::size_t, std::size_t>> m;
  re.find_all(s, m);
  return !m.empty();
}

}  // namespace inferbench::tokenizer
