// CLI flags and `-o` overrides, generated from the schema.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/sources.hpp"
#include "core/error.hpp"

namespace inferbench::config {

namespace {

// The placeholder shown after a flag in --help.
std::string placeholder(const Setting& s) {
  switch (s.type) {
    case Type::Integer: return "INT";
    case Type::Number: return "FLOAT";
    case Type::Duration: return s.unit == "ms" ? "MS" : "SECONDS";
    case Type::NumberList: return "LIST";
    case Type::Json:
    case Type::MapList: return "JSON";
    default: return s.allowed.empty() ? "TEXT" : "{" + fmt::format("{}", fmt::join(s.allowed, ",")) + "}";
  }
}

// True when `piece` can only be meant as a new assignment, so a comma before it in
// `-o a=1,name=2` starts one rather than continuing a list. A declared key or a dotted word of
// key characters always does; llm-d's leaf-only name ("min") does when it is the last segment of
// some key, unless the assignment so far is itself a list of NAME=VALUE items (slo=ttft=500,itl=9).
bool starts_assignment(const Schema& schema, std::string_view piece, std::string_view current) {
  const auto eq = piece.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  const std::string_view name = piece.substr(0, eq);
  if (schema.find(name) != nullptr) return true;
  const bool key_characters = std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
           c == '.';
  });
  if (!key_characters) return false;
  // A dotted word: a key path, known or not ("1.5" or "a.b c" is not).
  if (name.find('.') != std::string_view::npos) return std::islower(static_cast<unsigned char>(name.front())) != 0;
  const bool value_has_pairs = current.find('=') != current.rfind('=');
  return !value_has_pairs && !schema.with_leaf(name).empty();
}

// An element of a path into a value: a list index or a map member.
bool is_index(std::string_view segment) {
  return !segment.empty() && segment.size() < 10 && std::all_of(segment.begin(), segment.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// llm-d's coercion of an override's text inside a JSON value: true/yes and false/no are
// booleans, then integers, then floats, else text.
nlohmann::json typed_text(const std::string& text) {
  std::string lowered = text;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lowered == "true" || lowered == "yes") return true;
  if (lowered == "false" || lowered == "no") return false;
  char* end = nullptr;
  const long long i = std::strtoll(text.c_str(), &end, 10);
  if (!text.empty() && end == text.c_str() + text.size()) return static_cast<std::int64_t>(i);
  const double d = std::strtod(text.c_str(), &end);
  if (!text.empty() && end == text.c_str() + text.size() && std::isfinite(d)) return d;
  return text;
}

// Sets one element inside a list or JSON-object setting: `rest` is the path below the
// setting's key ("1" in load.concurrency.1, "gpu" in labels.gpu, "stop.0" in target.extra_body.stop.0).
void set_element(Values& values, const Setting& s, std::string_view rest, const std::string& text,
                 const std::string& key, Source source, std::string_view origin) {
  std::vector<std::string> segments;
  for (std::size_t start = 0; start <= rest.size();) {
    const std::size_t dot = std::min(rest.find('.', start), rest.size());
    segments.emplace_back(rest.substr(start, dot - start));
    start = dot + 1;
  }
  nlohmann::json value = values.get(s.key);
  const auto index_into = [&](nlohmann::json& list, const std::string& segment,
                              std::string_view at) -> nlohmann::json& {
    if (!is_index(segment)) {
      throw Error(fmt::format("{}: '{}': {} is a list, so '{}' must be an index (0 to {})", origin, key, at, segment,
                              list.empty() ? 0 : list.size() - 1));
    }
    const std::size_t i = std::stoul(segment);
    if (i >= list.size()) {
      throw Error(fmt::format("{}: '{}': index {} is out of range: {} has {} item{}", origin, key, i, at, list.size(),
                              list.size() == 1 ? "" : "s"));
    }
    return list[i];
  };
  if (s.type == Type::NumberList || s.type == Type::StringList) {
    if (segments.size() != 1) throw Error(fmt::format("{}: '{}': {} is a list of single values", origin, key, s.key));
    if (!value.is_array()) value = nlohmann::json::array();
    index_into(value, segments.front(), s.key) = text;  // coerced with the list's own type below
  } else if (s.type == Type::Json || s.type == Type::MapList) {
    if (s.type == Type::Json && !value.is_object()) value = nlohmann::json::object();
    if (s.type == Type::MapList && !value.is_array()) value = nlohmann::json::array();
    nlohmann::json* node = &value;
    std::string at = s.key;
    for (const std::string& segment : segments) {
      if (node->is_array()) {
        node = &index_into(*node, segment, at);
      } else {
        if (node->is_null()) *node = nlohmann::json::object();  // a new member on the way: a map
        if (!node->is_object()) {
          throw Error(fmt::format("{}: '{}': {} is a single value, not a map or list", origin, key, at));
        }
        node = &(*node)[segment];
      }
      at += "." + segment;
    }
    *node = typed_text(text);
  } else {
    throw Error(fmt::format("{}: unknown key '{}': {} is a single value, not a list or map", origin, key, s.key));
  }
  values.set(s.key, value, source, origin);
}

// The declared setting whose key is the longest proper prefix of `key` ("load.concurrency" of
// "load.concurrency.1"), or nullptr.
const Setting* declared_prefix(const Schema& schema, std::string_view key) {
  for (auto dot = key.rfind('.'); dot != std::string_view::npos && dot > 0; dot = key.rfind('.', dot - 1)) {
    if (const Setting* s = schema.find(key.substr(0, dot))) return s;
  }
  return nullptr;
}

void assign(Values& values, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw Error(fmt::format("-o: expected KEY=VALUE, got '{}'", assignment));
  }
  const Schema& schema = values.schema();
  const std::string key(assignment.substr(0, eq));
  const std::string text(assignment.substr(eq + 1));
  if (schema.find(key) != nullptr) {
    values.set(key, text, Source::Override);
    return;
  }
  if (const Setting* s = declared_prefix(schema, key)) {
    set_element(values, *s, std::string_view(key).substr(s->key.size() + 1), text, key, Source::Override, "-o");
    return;
  }
  if (key.find('.') == std::string::npos) {
    // llm-d's older form names only the leaf ("-o min=20"): fine when one setting ends in it.
    const auto leaves = schema.with_leaf(key);
    if (leaves.size() == 1) {
      values.set(leaves.front()->key, text, Source::Override);
      return;
    }
    if (leaves.size() > 1) {
      std::string paths;
      for (const Setting* s : leaves) paths += (paths.empty() ? "" : ", ") + s->key;
      throw Error(
          fmt::format("-o: '{}' would change {} settings ({}): give the dotted key path", key, leaves.size(), paths));
    }
  }
  throw Error(fmt::format("-o: unknown key '{}'{}", key, suggestion(schema, key)));
}

}  // namespace

bool set_path(Values& values, std::string_view key, const std::string& text, Source source, std::string_view origin) {
  const Setting* s = declared_prefix(values.schema(), key);
  if (s == nullptr) return false;
  set_element(values, *s, key.substr(s->key.size() + 1), text, std::string(key), source, origin);
  return true;
}

std::vector<std::string> split_overrides(const Schema& schema, std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view piece = text.substr(start, comma - start);
    if (current.empty()) {
      current = piece;
    } else if (starts_assignment(schema, piece, current)) {
      out.push_back(std::move(current));
      current = piece;
    } else {
      current += ",";
      current += piece;
    }
    start = comma + 1;
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

void apply_override(Values& values, std::string_view text) {
  for (const std::string& assignment : split_overrides(values.schema(), text)) assign(values, assignment);
}

void bind(CLI::App& cmd, Values& values, const std::shared_ptr<const std::vector<std::string>>& foreign) {
  const Schema& schema = values.schema();
  for (const Setting& s : schema.settings()) {
    if (s.flag.empty()) continue;
    const std::string key = s.key;
    CLI::Option* opt = nullptr;
    if (s.type == Type::Bool) {
      const bool value = !s.flag_inverts;
      opt = cmd.add_flag_callback(
          s.flag, [&values, key, value] { values.set(key, value, Source::Flag); }, s.help);
    } else if (s.type == Type::StringList) {
      opt = cmd.add_option_function<std::vector<std::string>>(
          s.flag,
          [&values, key](const std::vector<std::string>& items) {
            values.set(key, nlohmann::json(items), Source::Flag);
          },
          s.help);
    } else {
      opt = cmd.add_option_function<std::string>(
          s.flag, [&values, key](const std::string& text) { values.set(key, text, Source::Flag); }, s.help);
      opt->type_name(placeholder(s));
      const std::string def = default_text(s);
      if (!def.empty()) opt->default_str(def);
    }
    if (!s.group.empty()) opt->group(s.group);
  }
  // Exclusions between flags are reported by CLI11 at parse time; Values::check_exclusions
  // covers the same pairs when the values come from files or overrides.
  for (const Setting& s : schema.settings()) {
    if (s.excludes.empty() || s.flag.empty()) continue;
    const Setting& other = schema.at(s.excludes);
    if (!other.flag.empty()) cmd.get_option(s.flag)->excludes(cmd.get_option(other.flag));
  }
  cmd.add_option_function<std::vector<std::string>>(
         "-o,--set",
         [&values, foreign](const std::vector<std::string>& items) {
           for (const auto& item : items) {
             for (const std::string& assignment : split_overrides(values.schema(), item)) {
               const bool theirs = foreign && std::find(foreign->begin(), foreign->end(), assignment) != foreign->end();
               if (!theirs) assign(values, assignment);
             }
           }
         },
         "Set any setting by key path, e.g. -o load.rate=5,seed=7 (repeatable; overrides flags; keys in "
         "docs/config.md)")
      ->type_name("KEY=VALUE");
}

}  // namespace inferbench::config
