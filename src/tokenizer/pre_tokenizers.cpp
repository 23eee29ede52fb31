#include "tokenizer/pre_tokenizers.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {

void split_by_matches(const std::vector<std::pair<std::size_t, std::size_t>>& matches, Span piece,
                      SplitBehavior behavior, bool invert, std::vector<Span>& out) {
  // Partition the piece into (span, is_match) parts covering it, as HF's Pattern::find_matches does.
  thread_local std::vector<std::pair<Span, bool>> parts;
  parts.clear();
  std::uint32_t prev = piece.begin;
  for (const auto& [s, e] : matches) {
    const auto start = piece.begin + static_cast<std::uint32_t>(s);
    const auto end = piece.begin + static_cast<std::uint32_t>(e);
    if (prev != start) parts.push_back({{prev, start}, invert});
    parts.push_back({{start, end}, !invert});
    prev = end;
  }
  if (prev != piece.end) parts.push_back({{prev, piece.end}, invert});

  const std::size_t first_out = out.size();
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const auto& [span, is_match] : parts)
        if (!is_match) out.push_back(span);
      break;
    case SplitBehavior::kIsolated:
      for (const auto& [span, is_match] : parts) out.push_back(span);
      break;
    case SplitBehavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const auto& [span, is_match] : parts) {
        if (is_match && !previous_match && out.size() > first_out)
          out.back().end = span.end;
        else
          out.push_back(span);
        previous_match = is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool previous_match = false;
      thread_local std::vector<Span> reversed;
      reversed.clear();
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        if (it->second && !previous_match && !reversed.empty())
          reversed.back().begin = it->first.begin;
        else
          reversed.push_back(it->first);
        previous_match = it->second;
      }
      out.insert(out.end(), reversed.rbegin(), reversed.rend());
      break;
    }
    case SplitBehavior::kContiguous: {
      bool previous_match = false;
      for (const auto& [span, is_match] : parts) {
        if (is_match == previous_match && out.size() > first_out)
          out.back().end = span.end;
        else
          out.push_back(span);
        previous_match = is_match;
      }
      break;
    }
  }
  // Empty pieces are dropped, as HF's PreTokenizedString::split does.
  out.erase(std::remove_if(out.begin() + static_cast<std::ptrdiff_t>(first_out), out.end(),
                           [](const Span& s) { return s.begin == s.end; }),
            out.end());
}

namespace {

using Matches = std::vector<std::pair<std::size_t, std::size_t>>;

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(std::string_view pattern, bool is_regex, SplitBehavior behavior, bool invert)
      : behavior_(behavior), invert_(invert), literal_(is_regex ? "" : std::string(pattern)) {
    if (is_regex) regex_ = std::make_unique<Regex>(pattern);
  }
  void apply(PreTokenized& pt) const override {
    thread_local Matches matches;
    thread_local std::vector<Span> out;
    out.clear();
    for (const Span piece : pt.pieces) {
      matches.clear();
      const std::string_view text = std::string_view(pt.text).substr(piece.begin, piece.end - piece.begin);
      if (regex_) {
        regex_->find_all(text, matches);
      } else if (!literal_.empty()) {
        for (std::size_t pos = text.find(literal_); pos != std::string_view::npos;
             pos = text.find(literal_, pos + literal_.size()))
          matches.emplace_back(pos, pos + literal_.size());
      }
      split_by_matches(matches, piece, behavior_, invert_, out);
    }
    pt.pieces.swap(out);
  }
  std::optional<AsciiPattern> ascii_split() const override {
    if (!regex_ || behavior_ != SplitBehavior::kIsolated || invert_) return std::nullopt;
    return regex_->ascii_pattern();
  }

 private:
  SplitBehavior behavior_;
  bool invert_;
  std::string literal_;
  std::unique_ptr<Regex> regex_;
};

// The GPT-2 pattern HF's ByteLevel uses when use_regex is true.
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex) : add_prefix_space_(add_prefix_space) {
    if (use_regex) split_ = std::make_unique<SplitPreTokenizer>(kGpt2Pattern, true, SplitBehavior::kIsolated, false);
  }
  void apply(PreTokenized& pt) const override {
    if (add_prefix_space_) {
      std::string text;
      std::vector<Span> pieces;
      for (const Span p : pt.pieces) {
        const auto begin = static_cast<std::uint32_t>(text.size());
        if (pt.text[p.begin] != ' ') text += ' ';
        text.append(pt.text, p.begin, p.end - p.begin);
        pieces.push_back({begin, static_cast<std::uint32_t>(text.size())});
      }
      pt.text = std::move(text);
      pt.pieces = std::move(pieces);
    }
    if (split_) split_->apply(pt);
  }
  bool byte_level() const override { return true; }
  std::optional<AsciiPattern> ascii_split() const override {
    if (add_prefix_space_ || !split_) return std::nullopt;
    return split_->ascii_split();
  }
  bool is_identity() const override { return !add_prefix_space_ && !split_; }

 private:
  bool add_prefix_space_;
  std::unique_ptr<SplitPreTokenizer> split_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, std::string scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(std::move(scheme)), split_(split) {
    if (scheme_ != "always" && scheme_ != "first" && scheme_ != "never")
      throw Error(fmt::format("tokenizer: unsupported Metaspace prepend_scheme {:?}", scheme_));
  }
  void apply(PreTokenized& pt) const override {
    std::string text;
    std::vector<Span> pieces;
    thread_local Matches matches;
    for (std::size_t k = 0; k < pt.pieces.size(); ++k) {
      const Span p = pt.pieces[k];
      std::string piece;
      for (std::uint32_t i = p.begin; i < p.end; ++i) {
        if (pt.text[i] == ' ')
          piece += replacement_;
        else
          piece += pt.text[i];
      }
      const bool first = pt.at_origin && k == 0 && p.begin == 0;
      if ((scheme_ == "always" || (scheme_ == "first" && first)) && !piece.starts_with(replacement_))
        piece.insert(0, replacement_);
      const auto begin = static_cast<std::uint32_t>(text.size());
      text += piece;
      const Span whole{begin, static_cast<std::uint32_t>(text.size())};
      if (!split_) {
        pieces.push_back(whole);
        continue;
      }
      matches.clear();
      for (std::size_t pos = piece.find(replacement_); pos != std::string::npos;
           pos = piece.find(replacement_, pos + replacement_.size()))
        matches.emplace_back(pos, pos + replacement_.size());
      split_by_matches(matches, whole, SplitBehavior::kMergedWithNext, false, pieces);
    }
    pt.text = std::move(text);
    pt.pieces = std::move(pieces);
  }

 private:
  std::string replacement_;
  std::string scheme_;
  bool split_;
};

class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void apply(PreTokenized& pt) const override {
    // HF uses char::is_numeric (Unicode N*), i.e. \p{N}.
    static const Regex digit("\\p{N}");
    std::vector<Span> out;
    thread_local Matches matches;
    for (const Span p : pt.pieces) {
      matches.clear();
      digit.find_all(std::string_view(pt.text).substr(p.begin, p.end - p.begin), matches);
      split_by_matches(matches, p, individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, false, out);
    }
    pt.pieces = std::move(out);
  }

 private:
  bool individual_;
};

class WhitespaceSplitPreTokenizer : public PreTokenizer {
 public:
  void apply(PreTokenized& pt) const override {
    std::vector<Span> out;
    for (const Span p : pt.pieces) {
      std::uint32_t start = p.begin;
      for (std::size_t i = p.begin; i < p.end;) {
        const std::size_t at = i;
        const char32_t cp = next_codepoint(pt.text, i);
        if (is_whitespace(cp)) {
          if (start < at) out.push_back({start, static_cast<std::uint32_t>(at)});
          start = static_cast<std::uint32_t>(i);
        }
      }
      if (start < p.end) out.push_back({start, p.end});
    }
    pt.pieces = std::move(out);
  }
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {
    for (std::size_t i = 0; i + 1 < steps_.size(); ++i)
      if (steps_[i]->byte_level())
        throw Error("tokenizer: a ByteLevel pre-tokenizer followed by other pre-tokenizers is not supported");
  }
  void apply(PreTokenized& pt) const override {
    for (const auto& s : steps_) s->apply(pt);
  }
  bool byte_level() const override { return !steps_.empty() && steps_.back()->byte_level(); }
  std::optional<AsciiPattern> ascii_split() const override {
    // One splitting step and identities (e.g. Split + ByteLevel without regex, as Llama-3 and Qwen ship).
    const PreTokenizer* only = nullptr;
    for (const auto& s : steps_) {
      if (s->is_identity()) continue;
      if (only) return std::nullopt;
      only = s.get();
    }
    return only ? only->ascii_split() : std::nullopt;
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_split(std::string_view pattern, bool is_regex, SplitBehavior behavior, bool invert) {
  return std::make_unique<SplitPreTokenizer>(pattern, is_regex, behavior, invert);
}
std::unique_ptr<PreTokenizer> make_byte_level(bool add_prefix_space, bool use_regex) {
  return std::make_unique<ByteLevelPreTokenizer>(add_prefix_space, use_regex);
}
std::unique_ptr<PreTokenizer> make_metaspace(std::string replacement, std::string prepend_scheme, bool split) {
  return std::make_unique<MetaspacePreTokenizer>(std::move(replacement), std::move(prepend_scheme), split);
}
std::unique_ptr<PreTokenizer> make_digits(bool individual_digits) {
  return std::make_unique<DigitsPreTokenizer>(individual_digits);
}
std::unique_ptr<PreTokenizer> make_whitespace_split() { return std::make_unique<WhitespaceSplitPreTokenizer>(); }
std::unique_ptr<PreTokenizer> make_sequence(std::vector<std::unique_ptr<PreTokenizer>> steps) {
  return std::make_unique<SequencePreTokenizer>(std::move(steps));
}

}  // namespace inferbench::tokenizer
