#pragma once
// The values of one schema's settings, each with the source that gave it. Every value is
// coerced to its declared type and checked against its bounds and allowed values when set,
// so a bad value fails with one message naming where it came from.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/schema.hpp"
#include "core/clock.hpp"

namespace inferbench::config {

class Values {
 public:
  // Every setting at its default. `schema` is borrowed and must outlive the Values.
  explicit Values(const Schema& schema);

  // Sets `key` from `source`: `raw` is text (a flag, an override, a YAML scalar) or already
  // structured JSON (a YAML sequence or map). `origin` prefixes messages ("profile.yaml:3").
  // A value from a lower-precedence source than the current one is checked, then ignored.
  // Throws inferbench::Error "invalid --rate '-1': must be > 0" (flag name when from a flag,
  // key path otherwise); an undeclared key is a programming error (std::logic_error).
  void set(std::string_view key, const nlohmann::json& raw, Source source, std::string_view origin = {});
  // Throws inferbench::Error when settings that exclude each other were both set.
  void check_exclusions() const;

  const Schema& schema() const { return *schema_; }
  // The effective value (null = not set).
  const nlohmann::json& get(std::string_view key) const;
  Source source(std::string_view key) const;
  // True when the value came from anything but the default.
  bool given(std::string_view key) const { return source(key) != Source::Default; }
  // How messages name the setting: its flag when the value came from a flag, else its key path.
  std::string name(std::string_view key) const;

  // Typed views; each asserts the declared type (std::logic_error on a mismatch).
  std::string str(std::string_view key) const;  // "" when not set
  bool boolean(std::string_view key) const;
  std::int64_t integer(std::string_view key) const;
  double number(std::string_view key) const;
  std::optional<Duration> duration(std::string_view key) const;  // nullopt when not set
  std::vector<double> numbers(std::string_view key) const;
  std::vector<std::string> strings(std::string_view key) const;
  const nlohmann::json& object(std::string_view key) const;  // null when not set
  const nlohmann::json& maps(std::string_view key) const;    // a JSON array of objects; null when not set

 private:
  struct Entry {
    nlohmann::json value;
    Source source = Source::Default;
  };
  const Entry& entry(std::string_view key, Type type) const;

  const Schema* schema_;
  std::map<std::string, Entry, std::less<>> entries_;
};

// Coerces `raw` to `setting`'s type and checks it; `name` is how messages call the setting.
// Throws inferbench::Error "invalid NAME 'TEXT': PROBLEM".
nlohmann::json coerce(const Setting& setting, const nlohmann::json& raw, const std::string& name);

}  // namespace inferbench::config
