#include "config/foreign/reader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "core/error.hpp"

namespace inferbench::config::foreign {

namespace {

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t dot = std::min(path.find('.', start), path.size());
    out.emplace_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  return out;
}

std::string join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// A scalar as YAML's core schema types it: quoted text stays text.
nlohmann::json typed(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;
  if (s == "true" || s == "True") return true;
  if (s == "false" || s == "False") return false;
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  char* end = nullptr;
  const long long i = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() + s.size()) return static_cast<std::int64_t>(i);
  const double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() + s.size() && std::isfinite(d)) return d;
  return s;
}

nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return typed(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& item : node) out[item.first.Scalar()] = to_json(item.second);
      return out;
    }
    default: return nullptr;
  }
}

}  // namespace

Reader::Reader(std::string_view text, std::string filename) : filename_(std::move(filename)) {
  try {
    root_ = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    // yaml-cpp quotes the offending character, which may be a line break: kept to one line.
    std::string message;
    for (const char c : e.msg) {
      message +=
          static_cast<unsigned char>(c) < 0x20 ? fmt::format("\\x{:02x}", static_cast<int>(c)) : std::string(1, c);
    }
    throw Error(fmt::format("{}:{}: {}", filename_, e.mark.line + 1, message));
  }
  if (root_.IsNull()) root_.reset(YAML::Node(YAML::NodeType::Map));
  if (!root_.IsMap()) throw Error(fmt::format("{}: expected a map of settings", filename_));
}

YAML::Node Reader::find(std::string_view path) const {
  // yaml-cpp's Node::operator= writes through to the node assigned to; reset() rebinds instead.
  // An absent key is a valid node of type Undefined, so Is*() can be asked of it.
  YAML::Node node;
  node.reset(root_);
  if (path.empty()) return node;
  for (const std::string& key : segments(path)) {
    YAML::Node next(YAML::NodeType::Undefined);
    if (node.IsMap()) {
      const YAML::Node& map = node;  // operator[] on a const node never inserts
      if (const YAML::Node child = map[key]; child.IsDefined()) next.reset(child);
    } else if (node.IsSequence()) {
      char* end = nullptr;
      const unsigned long i = std::strtoul(key.c_str(), &end, 10);
      if (!key.empty() && end == key.c_str() + key.size() && i < node.size()) next.reset(node[i]);
    }
    if (!next.IsDefined()) return next;
    node.reset(next);
  }
  return node;
}

std::string Reader::where(std::string_view path) const {
  // The line of the deepest node present on the way to `path`.
  std::size_t line = 0;
  std::string prefix;
  for (const std::string& key : segments(path)) {
    prefix = join(prefix, key);
    const YAML::Node next = find(prefix);
    if (!next.IsDefined()) break;
    if (next.Mark().line >= 0) line = static_cast<std::size_t>(next.Mark().line) + 1;
  }
  return line == 0 ? filename_ : fmt::format("{}:{}", filename_, line);
}

void Reader::fail(std::string_view path, const std::string& message) const {
  throw Error(fmt::format("{}: {}", where(path), message));
}

void Reader::take(std::string_view path) { taken_.emplace(path); }

void Reader::unsupported(std::string_view path, std::string why, std::string setting) {
  // Listed by finish() in document order, however much of it was read to decide.
  rejected_.emplace(path);
  reasons_[std::string(path)] = std::move(why);
  if (!setting.empty()) settings_[std::string(path)] = std::move(setting);
}

void Reader::approximate(std::string_view path, std::string why) {
  approximate_.push_back({std::string(path), std::move(why)});
}

std::optional<std::string> Reader::text(std::string_view path) {
  const YAML::Node node = find(path);
  take(path);
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  if (!node.IsScalar()) fail(path, fmt::format("invalid {}: expected a single value", path));
  return node.Scalar();
}

std::optional<double> Reader::number(std::string_view path) {
  const auto t = text(path);
  if (!t) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t->c_str(), &end);
  if (t->empty() || end != t->c_str() + t->size() || !std::isfinite(v)) {
    fail(path, fmt::format("invalid {} '{}': expected a number", path, *t));
  }
  return v;
}

std::optional<std::int64_t> Reader::integer(std::string_view path) {
  const auto t = text(path);
  if (!t) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t->c_str(), &end);
  if (t->empty() || end != t->c_str() + t->size() || v != std::floor(v) || std::abs(v) > 9e15) {
    fail(path, fmt::format("invalid {} '{}': expected an integer", path, *t));
  }
  return static_cast<std::int64_t>(v);
}

std::optional<bool> Reader::boolean(std::string_view path) {
  const auto t = text(path);
  if (!t) return std::nullopt;
  if (*t == "true" || *t == "True") return true;
  if (*t == "false" || *t == "False") return false;
  fail(path, fmt::format("invalid {} '{}': expected true or false", path, *t));
}

std::optional<std::string> Reader::choice(std::string_view path, const std::vector<std::string>& allowed) {
  auto t = text(path);
  if (!t || std::find(allowed.begin(), allowed.end(), *t) != allowed.end()) return t;
  fail(path, fmt::format("invalid {} '{}': must be one of {}", path, *t, fmt::join(allowed, ", ")));
}

nlohmann::json Reader::json(std::string_view path) {
  take(path);
  return to_json(find(path));
}

std::vector<std::string> Reader::keys(std::string_view path) const {
  std::vector<std::string> out;
  const YAML::Node node = find(path);
  if (node.IsMap()) {
    for (const auto& item : node) out.push_back(item.first.Scalar());
  }
  return out;
}

void Reader::set(Values& values, std::string_view key, const nlohmann::json& raw, std::string_view path) const {
  const Setting& s = values.schema().at(key);
  try {
    values.set(key, coerce(s, raw, std::string(path)), Source::File);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", where(path), e.what()));
  }
}

bool Reader::taken(const std::string& path) const {
  for (std::string p = path;;) {
    if (rejected_.count(p) != 0) return false;
    if (taken_.count(p) != 0) return true;
    const auto dot = p.rfind('.');
    if (dot == std::string::npos) return false;
    p.resize(dot);
  }
}

bool Reader::taken_below(const std::string& path) const {
  const std::string prefix = path + ".";
  const auto it = taken_.lower_bound(prefix);
  return it != taken_.end() && it->compare(0, prefix.size(), prefix) == 0;
}

std::string Reader::reason(const std::string& path) const {
  for (std::string p = path;;) {
    if (const auto it = reasons_.find(p); it != reasons_.end()) return it->second;
    const auto dot = p.rfind('.');
    if (dot == std::string::npos) return {};
    p.resize(dot);
  }
}

void Reader::leftovers(const YAML::Node& node, const std::string& path, std::vector<Note>& out) const {
  if (rejected_.count(path) != 0) {  // named as a whole: "load.sweep", not each of its keys
    out.push_back({path, reason(path)});
    return;
  }
  if (!path.empty() && taken(path)) return;
  // A map nothing was read from is named as a whole ("metrics", not each of its keys).
  if (node.IsMap() && node.size() > 0 && (path.empty() || taken_below(path))) {
    for (const auto& item : node) leftovers(item.second, join(path, item.first.Scalar()), out);
  } else if (node.IsSequence() && taken_below(path)) {
    for (std::size_t i = 0; i < node.size(); ++i) leftovers(node[i], join(path, std::to_string(i)), out);
  } else {
    out.push_back({path, reason(path)});
  }
}

Translation Reader::finish() const {
  Translation t{{}, approximate_, settings_};
  leftovers(root_, "", t.unsupported);
  // An empty document leaves "" behind: nothing to list.
  std::erase_if(t.unsupported, [](const Note& n) { return n.key.empty(); });
  return t;
}

}  // namespace inferbench::config::foreign
