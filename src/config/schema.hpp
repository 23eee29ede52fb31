#pragma once
// The declared schema: every setting (key path, type, unit, default, bounds, allowed values,
// help, CLI flag) is written once as a `Setting`; CLI flags, YAML keys, `-o` overrides,
// validation messages, the summary's config block and docs/config.md are all derived from it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace inferbench::config {

// Levenshtein distance between two names: how the closest valid key or profile is suggested.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The type of a setting's value, as stored in `Values` (JSON underneath).
enum class Type {
  String,      // text (mini-languages such as "uniform:64:256" stay text: their owners parse them)
  Bool,        // true / false (text: true|yes|on|1, false|no|off|0)
  Integer,     // whole number (int64)
  Number,      // finite double
  Duration,    // number in the setting's unit ("s" or "ms"); text may carry a suffix: 500ms, 2s, 1m
  NumberList,  // comma-separated numbers ("1,4,16"), or a YAML sequence
  StringList,  // repeatable flag, or a YAML sequence
  Json,        // a JSON object (text is parsed as JSON)
  MapList,     // a list of JSON objects (a YAML sequence of maps; text is parsed as a JSON array)
};

// Where a value came from, lowest precedence first: a later source replaces an earlier one.
enum class Source { Default, File, Flag, Override };

// How a setting is kept out of written outputs.
enum class Secret {
  None,       // written as is (a URL's user:password is still redacted)
  Whole,      // never written (API keys)
  KeyValues,  // a list of K=V items: only the names K are written (headers)
};

// One declared setting. Fields are in the order designated initializers must follow.
struct Setting {
  std::string key;                   // key path, e.g. "load.rate" (YAML nesting and `-o` use it)
  Type type = Type::String;          // value type
  std::string unit;                  // "s", "ms", "req/s", "tokens", ... ("" = none)
  nlohmann::json default_value;      // null = not set (the help says what that means)
  std::vector<std::string> allowed;  // allowed values of a String (empty = any)
  std::optional<double> min;         // lower bound of numbers (each element of a NumberList)
  bool min_exclusive = false;        // min itself is not allowed (> instead of >=)
  std::optional<double> max;         // upper bound (inclusive)
  bool integer = false;              // NumberList elements must be whole numbers
  std::string help;                  // one line, also the CLI help text
  std::string flag;                  // CLI flag of `inferbench run`, e.g. "--rate" ("" = none)
  bool flag_inverts = false;         // Bool: the flag sets false (--no-stream for target.stream)
  Secret secret = Secret::None;      // kept out of outputs
  std::string excludes;              // key path that cannot be set together with this one
  std::string group;                 // CLI help group ("" = the default options group)
};

// An ordered set of settings; the declaration order is the order of --help and the docs.
class Schema {
 public:
  // Takes the declared table; throws std::logic_error on a duplicate or malformed declaration.
  explicit Schema(std::vector<Setting> settings);

  const std::vector<Setting>& settings() const { return settings_; }
  // The setting at `key`, or nullptr.
  const Setting* find(std::string_view key) const;
  // The setting at `key`; throws std::logic_error when it is not declared (a programming error).
  const Setting& at(std::string_view key) const;
  // True when some key path starts with `prefix` + "." (a YAML map on the way to settings).
  bool is_section(std::string_view prefix) const;
  // The declared key closest to `key` (edit distance), or "" when none is close.
  std::string closest(std::string_view key) const;
  // The group of settings ("load", "target") closest to `prefix`, or "" when none is close.
  std::string closest_section(std::string_view prefix) const;
  // The settings whose key path ends in the segment `leaf` ("min" finds "a.min" and "b.min").
  std::vector<const Setting*> with_leaf(std::string_view leaf) const;

 private:
  std::vector<Setting> settings_;
};

// " (did you mean 'load.rate'?)" for an unknown key, or "" when nothing is close.
std::string suggestion(const Schema& schema, std::string_view key);

// The type as written in docs and messages: "string", "list of numbers", ...
std::string type_name(Type type);
// The bounds as text: "> 0", ">= 0", "integer >= 1", "1 to 256", "" when unbounded.
std::string bounds_text(const Setting& setting);
// The default as text for --help and docs ("" when not set).
std::string default_text(const Setting& setting);

// docs/config.md: the key reference (key, flag, type, unit, default, allowed, help) in Markdown.
std::string reference_markdown(const Schema& schema);

}  // namespace inferbench::config
