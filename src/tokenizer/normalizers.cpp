#include "tokenizer/normalizers.hpp"

#include "tokenizer/regex.hpp"
#include "tokenizer/unicode.hpp"

namespace inferbench::tokenizer {
namespace {

class NfcNormalizer : public Normalizer {
 public:
  void apply(std::string& text) const override { text = nfc(text); }
};

class NfdNormalizer : public Normalizer {
 public:
  void apply(std::string& text) const override { text = nfd(text); }
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void apply(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(std::string_view pattern, bool is_regex, std::string content)
      : literal_(is_regex ? "" : std::string(pattern)), content_(std::move(content)) {
    if (is_regex) regex_ = std::make_unique<Regex>(pattern);
  }
  void apply(std::string& text) const override {
    std::vector<std::pair<std::size_t, std::size_t>> matches;
    if (regex_) {
      regex_->find_all(text, matches);
    } else if (!literal_.empty()) {
      for (std::size_t pos = text.find(literal_); pos != std::string::npos;
           pos = text.find(literal_, pos + literal_.size()))
        matches.emplace_back(pos, pos + literal_.size());
    }
    if (matches.empty()) return;
    std::string out;
    out.reserve(text.size() + matches.size() * content_.size());
    std::size_t prev = 0;
    for (const auto& [s, e] : matches) {
      out.append(text, prev, s - prev);
      out += content_;
      prev = e;
    }
    out.append(text, prev, std::string::npos);
    text = std::move(out);
  }

 private:
  std::string literal_;
  std::string content_;
  std::unique_ptr<Regex> regex_;
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void apply(std::string& text) const override {
    std::size_t begin = 0, end = text.size();
    if (left_) {
      while (begin < end) {
        std::size_t i = begin;
        if (!is_whitespace(next_codepoint(text, i))) break;
        begin = i;
      }
    }
    if (right_) {
      while (end > begin) {
        std::size_t start = end - 1;
        while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
        std::size_t i = start;
        if (!is_whitespace(next_codepoint(text, i))) break;
        end = start;
      }
    }
    text = text.substr(begin, end - begin);
  }

 private:
  bool left_, right_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void apply(std::string& text) const override {
    for (const auto& s : steps_) s->apply(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> make_nfc() { return std::make_unique<NfcNormalizer>(); }
std::unique_ptr<Normalizer> make_nfd() { return std::make_unique<NfdNormalizer>(); }
std::unique_ptr<Normalizer> make_prepend(std::string prefix) {
  return std::make_unique<PrependNormalizer>(std::move(prefix));
}
std::unique_ptr<Normalizer> make_replace(std::string_view pattern, bool is_regex, std::string content) {
  return std::make_unique<ReplaceNormalizer>(pattern, is_regex, std::move(content));
}
std::unique_ptr<Normalizer> make_strip(bool left, bool right) { return std::make_unique<StripNormalizer>(left, right); }
std::unique_ptr<Normalizer> make_sequence_normalizer(std::vector<std::unique_ptr<Normalizer>> steps) {
  return std::make_unique<SequenceNormalizer>(std::move(steps));
}

}  // namespace inferbench::tokenizer
