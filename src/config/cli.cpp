// CLI flags and `-o` overrides, generated from the schema.
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
    case Type::Json: return "JSON";
    default: return s.allowed.empty() ? "TEXT" : "{" + fmt::format("{}", fmt::join(s.allowed, ",")) + "}";
  }
}

// True when `name` can only be meant as a key (it has a dot or is declared), so a comma
// before it in `-o a=1,name=2` starts a new assignment rather than continuing a list.
bool starts_assignment(const Schema& schema, std::string_view piece) {
  const auto eq = piece.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  const std::string_view name = piece.substr(0, eq);
  if (schema.find(name) != nullptr) return true;
  if (name.find('.') == std::string_view::npos) return false;
  // A dotted word of key characters: a key path, known or not ("1.5" or "a.b c" is not).
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::islower(static_cast<unsigned char>(c)) || c == '_' || c == '.'; });
}

void assign(Values& values, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw Error(fmt::format("-o: expected KEY=VALUE, got '{}'", assignment));
  }
  const std::string key(assignment.substr(0, eq));
  if (values.schema().find(key) == nullptr) {
    throw Error(fmt::format("-o: unknown key '{}'{}", key, suggestion(values.schema(), key)));
  }
  values.set(key, std::string(assignment.substr(eq + 1)), Source::Override);
}

}  // namespace

void apply_override(Values& values, std::string_view text) {
  std::string current;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view piece = text.substr(start, comma - start);
    if (current.empty()) {
      current = piece;
    } else if (starts_assignment(values.schema(), piece)) {
      assign(values, current);
      current = piece;
    } else {
      current += ",";
      current += piece;
    }
    start = comma + 1;
  }
  if (!current.empty()) assign(values, current);
}

void bind(CLI::App& cmd, Values& values) {
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
         [&values](const std::vector<std::string>& items) {
           for (const auto& item : items) apply_override(values, item);
         },
         "Set any setting by key path, e.g. -o load.rate=5,seed=7 (repeatable; overrides flags; keys in "
         "docs/config.md)")
      ->type_name("KEY=VALUE");
}

}  // namespace inferbench::config
