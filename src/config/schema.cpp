#include "config/schema.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace inferbench::config {

namespace {

// A number as the shortest text that reads back the same ("0.5", "256").
std::string number_text(double v) { return fmt::format("{}", v); }

// Markdown table cells must not contain a bare '|'.
std::string cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

Schema::Schema(std::vector<Setting> settings) : settings_(std::move(settings)) {
  for (std::size_t i = 0; i < settings_.size(); ++i) {
    const Setting& s = settings_[i];
    if (s.key.empty() || s.help.empty()) throw std::logic_error("config: a setting needs a key and help");
    for (std::size_t j = 0; j < i; ++j) {
      if (settings_[j].key == s.key) throw std::logic_error("config: duplicate key " + s.key);
      if (!s.flag.empty() && settings_[j].flag == s.flag) throw std::logic_error("config: duplicate flag " + s.flag);
    }
    if (s.flag_inverts && s.type != Type::Bool) throw std::logic_error("config: only a bool flag inverts: " + s.key);
  }
  for (const Setting& s : settings_) {
    if (!s.excludes.empty() && find(s.excludes) == nullptr) {
      throw std::logic_error("config: " + s.key + " excludes an undeclared key " + s.excludes);
    }
  }
}

const Setting* Schema::find(std::string_view key) const {
  for (const Setting& s : settings_) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

const Setting& Schema::at(std::string_view key) const {
  const Setting* s = find(key);
  if (s == nullptr) throw std::logic_error("config: undeclared key " + std::string(key));
  return *s;
}

bool Schema::is_section(std::string_view prefix) const {
  return std::any_of(settings_.begin(), settings_.end(), [prefix](const Setting& s) {
    return s.key.size() > prefix.size() && s.key.compare(0, prefix.size(), prefix) == 0 && s.key[prefix.size()] == '.';
  });
}

std::string Schema::closest(std::string_view key) const {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const Setting& s : settings_) {
    // Compare with the whole path and with its last segment, so "rate" finds "load.rate".
    const auto dot = s.key.rfind('.');
    std::size_t d = edit_distance(key, s.key);
    if (dot != std::string::npos && key.find('.') == std::string_view::npos) {
      d = std::min(d, edit_distance(key, std::string_view(s.key).substr(dot + 1)));
    }
    if (d < best_distance) {
      best_distance = d;
      best = s.key;
    }
  }
  // Beyond a third of the key's length the "closest" key is a guess, not a typo.
  return best_distance <= std::max<std::size_t>(2, key.size() / 3) ? best : std::string();
}

std::string Schema::closest_section(std::string_view prefix) const {
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const Setting& s : settings_) {
    // Every proper prefix of a key path that ends before a dot is a section.
    for (std::size_t dot = s.key.find('.'); dot != std::string::npos; dot = s.key.find('.', dot + 1)) {
      const std::string_view section = std::string_view(s.key).substr(0, dot);
      const std::size_t d = edit_distance(prefix, section);
      if (d < best_distance) {
        best_distance = d;
        best = section;
      }
    }
  }
  return best_distance <= std::max<std::size_t>(2, prefix.size() / 3) ? best : std::string();
}

std::vector<const Setting*> Schema::with_leaf(std::string_view leaf) const {
  std::vector<const Setting*> out;
  for (const Setting& s : settings_) {
    const auto dot = s.key.rfind('.');
    if (dot != std::string::npos && std::string_view(s.key).substr(dot + 1) == leaf) out.push_back(&s);
  }
  return out;
}

std::string suggestion(const Schema& schema, std::string_view key) {
  const std::string near = schema.closest(key);
  return near.empty() ? std::string() : fmt::format(" (did you mean '{}'?)", near);
}

std::string type_name(Type type) {
  switch (type) {
    case Type::String: return "string";
    case Type::Bool: return "bool";
    case Type::Integer: return "integer";
    case Type::Number: return "number";
    case Type::Duration: return "duration";
    case Type::NumberList: return "list of numbers";
    case Type::StringList: return "list of strings";
    case Type::Json: return "JSON object";
    case Type::MapList: return "list of maps";
  }
  return "?";
}

std::string bounds_text(const Setting& s) {
  if (s.min && s.max && s.min_exclusive) return fmt::format("> {} and <= {}", number_text(*s.min), number_text(*s.max));
  if (s.min && s.max) return fmt::format("between {} and {}", number_text(*s.min), number_text(*s.max));
  if (s.min) return fmt::format("{} {}", s.min_exclusive ? ">" : ">=", number_text(*s.min));
  if (s.max) return fmt::format("<= {}", number_text(*s.max));
  return {};
}

std::string default_text(const Setting& s) {
  const nlohmann::json& d = s.default_value;
  if (d.is_null()) return {};
  if (d.is_string()) return d.get<std::string>();
  if (d.is_number()) return number_text(d.get<double>());
  if (d.is_array()) {
    std::string out;
    for (const auto& item : d)
      out += (out.empty() ? "" : ",") + (item.is_string() ? item.get<std::string>() : item.dump());
    return out;
  }
  return d.dump();
}

std::string reference_markdown(const Schema& schema) {
  std::string out =
      "# Configuration keys\n"
      "\n"
      "<!-- Generated from src/config/run_settings.cpp by `inferbench config-reference > docs/config.md`;\n"
      "     do not edit by hand (tests/config checks that this file matches the declaration). -->\n"
      "\n"
      "Every setting of `inferbench run` is declared once, with the key path below. It can be given\n"
      "as its flag, as `-o KEY=VALUE` (repeatable, or comma-separated: `-o load.rate=5,seed=7`), or\n"
      "(with profiles) under its key path in a YAML file, where `load.rate` is `rate` inside a `load`\n"
      "map. Precedence, lowest first: default < file < flag < `-o`. Booleans accept true/yes/on/1 and\n"
      "false/no/off/0; durations are numbers in the unit shown, or carry a suffix (`500ms`, `2s`, `1m`).\n"
      "The `config` block of `summary.json` holds every setting's effective value under its key path,\n"
      "in the unit shown, except secrets (`target.api_key` never; `target.headers` by name only).\n"
      "\n"
      "| key | flag | type | unit | default | allowed | help |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const Setting& s : schema.settings()) {
    std::string allowed;
    for (const auto& a : s.allowed) allowed += (allowed.empty() ? "" : ", ") + ("`" + a + "`");
    if (allowed.empty()) {
      allowed = bounds_text(s);
      if (!allowed.empty() && (s.integer || s.type == Type::Integer)) allowed = "integer " + allowed;
    }
    std::string flag = s.flag.empty() ? "" : "`" + s.flag + "`";
    if (s.flag_inverts) flag += " (sets false)";
    std::string type = type_name(s.type);
    if (s.secret == Secret::Whole) type += ", secret";
    if (s.secret == Secret::KeyValues) type += " (K=V), values secret";
    const std::string def = default_text(s);
    // An inverted flag's help describes the flag, not the key: say which is which.
    std::string help = s.flag_inverts ? "`" + s.flag + "`: " + s.help : s.help;
    if (!s.excludes.empty()) help += " (not together with `" + s.excludes + "`)";
    out += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} |\n", s.key, flag, type, s.unit,
                       def.empty() ? "" : "`" + def + "`", cell(allowed), cell(help));
  }
  return out;
}

}  // namespace inferbench::config
