#include "tokenizer/unicode.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace inferbench::tokenizer {
namespace {

struct DecompEntry {
  char32_t cp;
  std::uint16_t offset;
  std::uint8_t length;
};
struct CccEntry {
  char32_t cp;
  std::uint8_t ccc;
};
struct CompEntry {
  char32_t first;
  char32_t second;
  char32_t composite;
};

#include "tokenizer/unicode_tables.inc"

static_assert(std::ranges::is_sorted(kDecomp, {}, &DecompEntry::cp));
static_assert(std::ranges::is_sorted(kCcc, {}, &CccEntry::cp));

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kHangulBase = 0xAC00, kHangulL = 0x1100, kHangulV = 0x1161, kHangulT = 0x11A7;
constexpr char32_t kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr char32_t kHangulNCount = kHangulVCount * kHangulTCount, kHangulSCount = kHangulLCount * kHangulNCount;

std::uint8_t ccc_of(char32_t cp) {
  if (cp < 0x300) return 0;
  const auto it = std::ranges::lower_bound(kCcc, cp, {}, &CccEntry::cp);
  return it != std::end(kCcc) && it->cp == cp ? it->ccc : 0;
}

const DecompEntry* decomp_of(char32_t cp) {
  if (cp < 0xC0) return nullptr;
  const auto it = std::ranges::lower_bound(kDecomp, cp, {}, &DecompEntry::cp);
  return it != std::end(kDecomp) && it->cp == cp ? &*it : nullptr;
}

std::uint64_t pair_key(char32_t a, char32_t b) { return (std::uint64_t{a} << 21) | b; }

// Composition pairs and a per-code-point "may change under NFC" flag, built once.
struct NormData {
  std::unordered_map<std::uint64_t, char32_t> compose;
  std::vector<bool> unstable;  // indexed by code point

  NormData() : unstable(0x110000, false) {
    std::vector<bool> composite(0x110000, false);
    std::vector<bool> second(0x110000, false);
    for (const auto& c : kComp) {
      compose.emplace(pair_key(c.first, c.second), c.composite);
      composite[c.composite] = true;
      second[c.second] = true;
    }
    for (char32_t t = kHangulV; t < kHangulV + kHangulVCount; ++t) second[t] = true;
    for (char32_t t = kHangulT + 1; t < kHangulT + kHangulTCount; ++t) second[t] = true;
    for (const auto& c : kCcc) unstable[c.cp] = true;
    for (char32_t cp = 0; cp < 0x110000; ++cp)
      if (second[cp]) unstable[cp] = true;
    for (const auto& d : kDecomp) {
      const char32_t first = kDecompData[d.offset];
      if (!composite[d.cp] || second[first] || ccc_of(first) != 0) unstable[d.cp] = true;
    }
  }
};

const NormData& norm_data() {
  static const NormData data;
  return data;
}

void decompose(std::string_view s, std::vector<char32_t>& out) {
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next_codepoint(s, i);
    if (cp >= kHangulBase && cp < kHangulBase + kHangulSCount) {
      const char32_t index = cp - kHangulBase;
      out.push_back(kHangulL + index / kHangulNCount);
      out.push_back(kHangulV + (index % kHangulNCount) / kHangulTCount);
      if (index % kHangulTCount != 0) out.push_back(kHangulT + index % kHangulTCount);
    } else if (const DecompEntry* d = decomp_of(cp)) {
      out.insert(out.end(), kDecompData + d->offset, kDecompData + d->offset + d->length);
    } else {
      out.push_back(cp);
    }
  }
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (std::size_t i = 0; i < out.size();) {
    if (ccc_of(out[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < out.size() && ccc_of(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return ccc_of(a) < ccc_of(b); });
    i = j;
  }
}

char32_t compose_pair(const NormData& data, char32_t a, char32_t b) {
  if (a >= kHangulL && a < kHangulL + kHangulLCount && b >= kHangulV && b < kHangulV + kHangulVCount)
    return kHangulBase + ((a - kHangulL) * kHangulVCount + (b - kHangulV)) * kHangulTCount;
  if (a >= kHangulBase && a < kHangulBase + kHangulSCount && (a - kHangulBase) % kHangulTCount == 0 && b > kHangulT &&
      b < kHangulT + kHangulTCount)
    return a + (b - kHangulT);
  const auto it = data.compose.find(pair_key(a, b));
  return it == data.compose.end() ? 0 : it->second;
}

}  // namespace

std::size_t utf8_length(unsigned char b) {
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) return 2;
  if ((b & 0xF0) == 0xE0) return 3;
  if ((b & 0xF8) == 0xF0) return 4;
  return 1;
}

char32_t next_codepoint(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const std::size_t n = std::min(utf8_length(b0), s.size() - i);
  char32_t cp = n == 1 ? b0 : (b0 & (0x7F >> n));
  for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {
// Length of the well-formed UTF-8 sequence at s[i], or 0 if ill-formed (Unicode "maximal subpart" rules).
std::size_t valid_sequence_length(std::string_view s, std::size_t i, std::size_t& maximal_subpart) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  maximal_subpart = 1;
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return 0;
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < lo || b > hi) return 0;
    lo = 0x80;
    hi = 0xBF;
    maximal_subpart = k + 1;
  }
  return n;
}
}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t subpart = 0;
    const std::size_t n = valid_sequence_length(s, i, subpart);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t subpart = 0;
    const std::size_t n = valid_sequence_length(s, i, subpart);
    if (n == 0) {
      append_utf8(out, kReplacement);
      i += subpart;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool is_whitespace(char32_t cp) {
  for (const auto& r : kWhitespace)
    if (cp >= r.first && cp <= r.last) return true;
  return false;
}

std::string nfd(std::string_view s) {
  std::vector<char32_t> cps;
  decompose(s, cps);
  std::string out;
  out.reserve(s.size());
  for (const char32_t cp : cps) append_utf8(out, cp);
  return out;
}

namespace {

// NFC of a chunk that starts at a safe boundary and ends before one.
void nfc_chunk(const NormData& data, std::string_view s, std::string& out) {
  thread_local std::vector<char32_t> cps;
  cps.clear();
  decompose(s, cps);
  if (cps.empty()) return;
  // Canonical composition (UAX #15): compose each character with the last starter unless blocked.
  std::size_t starter = 0;
  unsigned last_class = ccc_of(cps[0]) == 0 ? 0 : 256;
  std::size_t write = 1;
  for (std::size_t read = 1; read < cps.size(); ++read) {
    const char32_t cp = cps[read];
    const unsigned cls = ccc_of(cp);
    const char32_t composite = last_class == 256 ? 0 : compose_pair(data, cps[starter], cp);
    if (composite != 0 && (last_class < cls || last_class == 0)) {
      cps[starter] = composite;
      continue;
    }
    if (cls == 0) starter = write;
    last_class = cls;
    cps[write++] = cp;
  }
  for (std::size_t i = 0; i < write; ++i) append_utf8(out, cps[i]);
}

}  // namespace

std::string nfc(std::string_view s) {
  // A code point that is not "unstable" is a safe boundary: nothing before it interacts with it or
  // anything after it. Only the chunks between safe boundaries that contain unstable code points are
  // normalized; everything else is copied.
  const NormData& data = norm_data();
  std::string out;
  std::size_t copied = 0;     // s[0, copied) is already in out
  std::size_t last_safe = 0;  // start of the last stable code point seen
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0xC3) {  // below U+00C0: always stable
      last_safe = i;
      i += utf8_length(b);
      continue;
    }
    const std::size_t at = i;
    if (!data.unstable[next_codepoint(s, i)]) {
      last_safe = at;
      continue;
    }
    // Unstable code point: the chunk runs from the last safe boundary to the next stable code point.
    const std::size_t chunk_begin = std::max(last_safe, copied);
    std::size_t chunk_end = i;
    while (chunk_end < s.size()) {
      std::size_t next = chunk_end;
      const char32_t cp = next_codepoint(s, next);
      if (!data.unstable[cp]) break;
      chunk_end = next;
    }
    if (out.empty()) out.reserve(s.size());
    out.append(s, copied, chunk_begin - copied);
    nfc_chunk(data, s.substr(chunk_begin, chunk_end - chunk_begin), out);
    copied = chunk_end;
    last_safe = chunk_end;
    i = chunk_end;
  }
  if (copied == 0) return std::string(s);
  out.append(s, copied, std::string_view::npos);
  return out;
}

std::span<const CodepointRange> extra_letters() { return kExtraLetter; }
std::span<const CodepointRange> extra_numbers() { return kExtraNumber; }
std::span<const CodepointRange> missing_letters() { return kMissingLetter; }
std::span<const CodepointRange> missing_numbers() { return kMissingNumber; }
std::span<const CodepointRange> whitespace_ranges() { return kWhitespace; }

}  // namespace inferbench::tokenizer
