#include "protocol/prometheus.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace inferbench::protocol {

namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':'; }
bool is_name_char(char c) { return is_name_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_label_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_label_char(char c) { return is_label_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// A float as Go's strconv.ParseFloat accepts it in expositions: decimal or exponent form,
// an optional sign, NaN and Inf/Infinity in any case.
std::optional<double> parse_float(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::string_view body = s;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (iequals(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (iequals(body, "inf") || iequals(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (body.empty() || !(std::isdigit(static_cast<unsigned char>(body.front())) != 0 || body.front() == '.')) {
    return std::nullopt;
  }
  double v = 0.0;
  const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports overflow and underflow alike; the exponent's sign decides which.
    const std::size_t e = body.find_first_of("eE");
    const bool huge = e == std::string_view::npos || e + 1 >= body.size() || body[e + 1] != '-';
    v = huge ? std::numeric_limits<double>::infinity() : 0.0;
  } else if (ec != std::errc() || end != body.data() + body.size()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

// Cursor over one line; every method reports failure through `error`.
class LineParser {
 public:
  LineParser(std::string_view line, std::string& error) : s_(line), error_(error) {}

  void skip_blanks() {
    while (i_ < s_.size() && is_blank(s_[i_])) ++i_;
  }
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  std::string_view rest() const { return s_.substr(i_); }

  // A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), or empty with the error set.
  std::string_view metric_name() {
    const std::size_t start = i_;
    if (i_ < s_.size() && is_name_start(s_[i_])) {
      ++i_;
      while (i_ < s_.size() && is_name_char(s_[i_])) ++i_;
    }
    if (i_ == start) fail("expected a metric name");
    return s_.substr(start, i_ - start);
  }

  // The next blank-separated token (possibly empty at the end of the line).
  std::string_view token() {
    skip_blanks();
    const std::size_t start = i_;
    while (i_ < s_.size() && !is_blank(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }

  // `{name="value",…}` with the cursor on '{'; a trailing comma is allowed.
  bool labels(std::vector<std::pair<std::string, std::string>>& out) {
    ++i_;  // '{'
    for (;;) {
      skip_blanks();
      if (peek() == '}') {
        ++i_;
        return true;
      }
      const std::size_t start = i_;
      if (i_ < s_.size() && is_label_start(s_[i_])) {
        ++i_;
        while (i_ < s_.size() && is_label_char(s_[i_])) ++i_;
      }
      if (i_ == start) return fail(at_end() ? "unterminated label set" : "expected a label name or '}'");
      std::string name(s_.substr(start, i_ - start));
      skip_blanks();
      if (peek() != '=') return fail("expected '=' after label name '" + name + "'");
      ++i_;
      skip_blanks();
      if (peek() != '"') return fail("expected '\"' to open the value of label '" + name + "'");
      ++i_;
      std::string value;
      if (!quoted(value, "label '" + name + "'")) return false;
      for (const auto& existing : out) {
        if (existing.first == name) return fail("duplicate label '" + name + "'");
      }
      out.emplace_back(std::move(name), std::move(value));
      skip_blanks();
      if (peek() == ',') {
        ++i_;
      } else if (peek() != '}') {
        return fail(at_end() ? "unterminated label set" : "expected ',' or '}' after a label value");
      }
    }
  }

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

 private:
  // The body of a quoted label value up to its closing '"', unescaping \\, \" and \n.
  bool quoted(std::string& out, const std::string& what) {
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) break;
      const char e = s_[i_++];
      if (e == '\\' || e == '"') {
        out += e;
      } else if (e == 'n') {
        out += '\n';
      } else {
        return fail(std::string("invalid escape sequence '\\") + e + "' in the value of " + what);
      }
    }
    return fail("unterminated value of " + what);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::string& error_;
};

std::optional<PromType> parse_type(std::string_view word) {
  static constexpr std::array<std::pair<std::string_view, PromType>, 9> kTypes{{
      {"counter", PromType::Counter},
      {"gauge", PromType::Gauge},
      {"histogram", PromType::Histogram},
      {"summary", PromType::Summary},
      {"untyped", PromType::Untyped},
      {"unknown", PromType::Untyped},
      {"info", PromType::Info},
      {"stateset", PromType::StateSet},
      {"gaugehistogram", PromType::GaugeHistogram},
  }};
  for (const auto& [name, type] : kTypes) {
    if (word == name) return type;
  }
  return std::nullopt;
}

// HELP text: `\\` → `\`, `\n` → newline; other backslashes are kept as written.
std::string unescape_help(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == 'n')) {
      out += s[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// `# HELP …`, `# TYPE …`, `# EOF` or a free comment. Returns false with `error` set.
bool parse_comment(std::string_view line, PromExposition& out, std::map<std::string, bool>& typed, std::string& error) {
  LineParser p(line.substr(1), error);
  const std::string_view keyword = p.token();
  if (keyword == "EOF" && p.token().empty()) {
    out.eof_marker = true;
    return true;
  }
  if (keyword != "HELP" && keyword != "TYPE") return true;  // a plain comment
  p.skip_blanks();
  if (!is_name_start(p.peek())) return p.fail("expected a metric name after # " + std::string(keyword));
  const std::string name(p.metric_name());
  if (!p.at_end() && !is_blank(p.peek()))
    return p.fail("invalid character in metric name after # " + std::string(keyword));
  PromFamily& family = out.families[name];
  if (keyword == "TYPE") {
    const std::string_view word = p.token();
    const auto type = parse_type(word);
    if (!type) return p.fail("unknown metric type '" + std::string(word) + "' for " + name);
    if (!p.token().empty()) return p.fail("unexpected text after the type of " + name);
    if (typed[name]) return p.fail("second TYPE line for " + name);
    typed[name] = true;
    family.type = *type;
  } else {
    p.skip_blanks();
    family.help = unescape_help(p.rest());
  }
  return true;
}

bool parse_sample(std::string_view line, PromExposition& out, std::string& error) {
  LineParser p(line, error);
  PromSample sample;
  sample.name = std::string(p.metric_name());
  if (sample.name.empty()) return false;
  if (p.peek() == '{') {
    if (!p.labels(sample.labels)) return false;
  } else if (!p.at_end() && !is_blank(p.peek())) {
    return p.fail("invalid character '" + std::string(1, p.peek()) + "' in metric name " + sample.name);
  }
  const std::string_view value = p.token();
  if (value.empty()) return p.fail("missing value for " + sample.name);
  const auto v = parse_float(value);
  if (!v) return p.fail("invalid value '" + std::string(value) + "' for " + sample.name);
  sample.value = *v;
  p.skip_blanks();
  if (!p.at_end() && p.peek() != '#') {
    const std::string_view ts = p.token();
    const auto t = parse_float(ts);
    if (!t || !std::isfinite(*t)) return p.fail("invalid timestamp '" + std::string(ts) + "' for " + sample.name);
    sample.timestamp = *t;
    p.skip_blanks();
  }
  // An OpenMetrics exemplar (`# {trace_id="…"} 1.0`) may follow; it is not used.
  if (!p.at_end() && p.peek() != '#') return p.fail("unexpected text after the value of " + sample.name);
  out.samples.push_back(std::move(sample));
  return true;
}

}  // namespace

std::string_view to_string(PromType type) {
  switch (type) {
    case PromType::Counter: return "counter";
    case PromType::Gauge: return "gauge";
    case PromType::Histogram: return "histogram";
    case PromType::Summary: return "summary";
    case PromType::Info: return "info";
    case PromType::StateSet: return "stateset";
    case PromType::GaugeHistogram: return "gaugehistogram";
    case PromType::Untyped: break;
  }
  return "untyped";
}

const std::string* PromSample::label(std::string_view key) const {
  for (const auto& l : labels) {
    if (l.first == key) return &l.second;
  }
  return nullptr;
}

const PromFamily* PromExposition::family_of(std::string_view series_name) const {
  if (const auto it = families.find(std::string(series_name)); it != families.end()) return &it->second;
  for (const std::string_view suffix : {"_bucket", "_sum", "_count", "_total", "_created", "_info"}) {
    if (series_name.size() > suffix.size() && series_name.ends_with(suffix)) {
      const auto it = families.find(std::string(series_name.substr(0, series_name.size() - suffix.size())));
      if (it != families.end()) return &it->second;
    }
  }
  return nullptr;
}

PromParseResult parse_prometheus(std::string_view text) {
  PromParseResult result;
  std::map<std::string, bool> typed;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t first = 0;
    while (first < line.size() && is_blank(line[first])) ++first;
    line.remove_prefix(first);
    if (line.empty()) continue;
    std::string error;
    if (result.exposition.eof_marker) {
      error = "text after # EOF";
    } else if (line.front() == '#') {
      parse_comment(line, result.exposition, typed, error);
    } else {
      parse_sample(line, result.exposition, error);
    }
    if (!error.empty()) {
      result.error = "line " + std::to_string(line_no) + ": " + error;
      result.error_line = line_no;
      return result;
    }
  }
  return result;
}

}  // namespace inferbench::protocol
