#include "config/values.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "core/error.hpp"

namespace inferbench::config {

namespace {

// The text a value was given as, for messages.
// The value as the user wrote it, for messages; bytes that are not UTF-8 become U+FFFD (a dump
// would throw json type_error 316, found by fuzzing the YAML loader).
std::string text_of(const nlohmann::json& raw) {
  return raw.is_string() ? raw.get<std::string>() : raw.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

[[noreturn]] void fail(const std::string& name, const std::string& text, const std::string& problem) {
  throw Error(fmt::format("invalid {} '{}': {}", name, text, problem));
}

// Every text setting ends up in JSON (summary.json's config, request bodies): bytes that are
// not UTF-8 are a flag error here, not an "unexpected error" when the first request is built.
// A secret's bytes are never shown, valid or not.
void require_utf8(const std::string& name, const std::string& text, bool secret = false) {
  try {
    (void)nlohmann::json(text).dump();
  } catch (const nlohmann::json::type_error&) {
    // The message may be written into JSON files too, not only printed: replaced here.
    const std::string quoted = nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    fail(name, secret ? "(not shown)" : quoted.substr(1, quoted.size() - 2), "not valid UTF-8");
  }
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

double parse_number(const std::string& text, const std::string& name) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) fail(name, text, "expected a number");
  return v;
}

// `v` (given as `text`) checked against the setting's bounds and integer-ness.
nlohmann::json check_bounds(const Setting& s, double v, const std::string& text, const std::string& name,
                            bool integer) {
  const bool below = s.min && (s.min_exclusive ? v <= *s.min : v < *s.min);
  const bool above = s.max && v > *s.max;
  const bool fraction = integer && v != std::floor(v);
  if (below || above || fraction) {
    const std::string bounds = bounds_text(s);
    fail(name, text,
         "must be " + std::string(integer ? "an integer" : "") + (integer && !bounds.empty() ? " " : "") + bounds);
  }
  if (integer) return static_cast<std::int64_t>(v);
  return v;
}

// A number from text or JSON, checked.
nlohmann::json checked_number(const Setting& s, const nlohmann::json& raw, const std::string& name, bool integer) {
  const std::string text = text_of(raw);
  if (raw.is_number()) return check_bounds(s, raw.get<double>(), text, name, integer);
  if (!raw.is_string()) fail(name, text, "expected a number");
  return check_bounds(s, parse_number(text, name), text, name, integer);
}

// A duration in the setting's unit; text may carry its own unit (500ms, 2s, 1m, 1h).
nlohmann::json checked_duration(const Setting& s, const nlohmann::json& raw, const std::string& name) {
  if (!raw.is_string()) return checked_number(s, raw, name, false);
  const std::string text = raw.get<std::string>();
  static constexpr std::pair<std::string_view, double> kSuffixes[] = {{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
  for (const auto& [suffix, seconds] : kSuffixes) {
    if (text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const std::string number = text.substr(0, text.size() - suffix.size());
      char* end = nullptr;
      const double v = std::strtod(number.c_str(), &end);
      if (end != number.c_str() + number.size() || !std::isfinite(v)) {
        fail(name, text, "expected a number, optionally with ms, s, m or h");
      }
      const double unit_seconds = s.unit == "ms" ? 1e-3 : 1.0;
      return check_bounds(s, v * seconds / unit_seconds, text, name, false);
    }
  }
  return checked_number(s, raw, name, false);
}

// "1,4,16" (empty items skipped) or a sequence.
std::vector<nlohmann::json> list_items(const nlohmann::json& raw) {
  std::vector<nlohmann::json> items;
  if (raw.is_array()) {
    for (const auto& item : raw) items.push_back(item);
  } else if (raw.is_string()) {
    const std::string text = raw.get<std::string>();
    std::size_t start = 0;
    while (start <= text.size()) {
      const std::size_t comma = std::min(text.find(',', start), text.size());
      if (comma > start) items.emplace_back(text.substr(start, comma - start));
      start = comma + 1;
    }
  } else {
    items.push_back(raw);
  }
  return items;
}

}  // namespace

nlohmann::json coerce(const Setting& s, const nlohmann::json& raw, const std::string& name) {
  const std::string text = text_of(raw);
  if (raw.is_null()) fail(name, "", "expected a value");
  switch (s.type) {
    case Type::String: {
      if (raw.is_array() || raw.is_object()) fail(name, text, "expected a single value");
      require_utf8(name, text, s.secret != Secret::None);
      if (!s.allowed.empty() && std::find(s.allowed.begin(), s.allowed.end(), text) == s.allowed.end()) {
        std::string list;
        for (const auto& a : s.allowed) list += (list.empty() ? "" : ", ") + a;
        fail(name, text, "must be one of " + list);
      }
      return text;
    }
    case Type::Bool: {
      if (raw.is_boolean()) return raw;
      const std::string t = lower(text);
      if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
      if (t == "false" || t == "no" || t == "off" || t == "0") return false;
      fail(name, text, "expected true or false");
    }
    case Type::Integer: return checked_number(s, raw, name, true);
    case Type::Number: return checked_number(s, raw, name, false);
    case Type::Duration: return checked_duration(s, raw, name);
    case Type::NumberList: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : list_items(raw)) out.push_back(checked_number(s, item, name, s.integer));
      if (out.empty()) fail(name, text, "expected one or more comma-separated numbers");
      return out;
    }
    case Type::StringList: {
      nlohmann::json out = nlohmann::json::array();
      if (raw.is_object() && s.secret == Secret::KeyValues) {
        // A YAML map of headers: name → value, kept as the K=V items the flag takes.
        for (const auto& [k, v] : raw.items()) out.push_back(k + "=" + text_of(v));
      } else if (raw.is_array()) {
        for (const auto& item : raw) out.push_back(text_of(item));
      } else if (raw.is_string()) {
        out.push_back(text);
      } else {
        fail(name, text, "expected a list of strings");
      }
      for (const auto& item : out) require_utf8(name, item.get<std::string>(), s.secret != Secret::None);
      if (s.secret == Secret::KeyValues) {
        for (const auto& item : out) {
          const std::string kv = item.get<std::string>();
          const auto eq = kv.find('=');
          // Only the name is shown, never the value: it may be a credential. Without '=' the
          // name ends at the first ':' or blank ("Authorization: Bearer …" shows "Authorization").
          const std::string key = kv.substr(0, eq != std::string::npos ? eq : kv.find_first_of(": \t"));
          if (eq == std::string::npos || eq == 0) fail(name, key, "expected NAME=VALUE (the value is not shown)");
          // A header name is an HTTP token; a value must not end the header line early (a CR or
          // LF in it would inject a header on the wire).
          const bool token = std::all_of(key.begin(), key.end(), [](unsigned char c) {
            return c > 32 && c < 127 &&
                   std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) == std::string_view::npos;
          });
          if (!token) fail(name, key, "the header name is not a valid HTTP token");
          if (kv.find_first_of("\r\n", eq) != std::string::npos || kv.find('\0', eq) != std::string::npos) {
            fail(name, key, "the header value contains a line break or NUL");
          }
        }
      }
      return out;
    }
    case Type::Json: {
      nlohmann::json value = raw;
      if (raw.is_string()) value = nlohmann::json::parse(text, nullptr, false);
      if (value.is_discarded() || !value.is_object()) fail(name, text, "expected a JSON object");
      // It is sent in every request body: text that is not UTF-8 could never be encoded there.
      try {
        (void)value.dump();
      } catch (const nlohmann::json::type_error&) {
        fail(name, text, "contains bytes that are not UTF-8");
      }
      return value;
    }
    case Type::MapList: {
      nlohmann::json value = raw;
      if (raw.is_string()) value = nlohmann::json::parse(text, nullptr, false);
      const bool maps = !value.is_discarded() && value.is_array() &&
                        std::all_of(value.begin(), value.end(), [](const nlohmann::json& x) { return x.is_object(); });
      if (!maps) fail(name, text, "expected a list of maps");
      try {
        (void)value.dump();
      } catch (const nlohmann::json::type_error&) {
        fail(name, text, "contains bytes that are not UTF-8");
      }
      return value;
    }
  }
  throw std::logic_error("config: unknown type");
}

Values::Values(const Schema& schema) : schema_(&schema) {
  for (const Setting& s : schema.settings()) entries_.emplace(s.key, Entry{s.default_value, Source::Default});
}

void Values::set(std::string_view key, const nlohmann::json& raw, Source source, std::string_view origin) {
  const Setting& s = schema_->at(key);
  const std::string name = source == Source::Flag && !s.flag.empty() ? s.flag : s.key;
  nlohmann::json value;
  try {
    value = coerce(s, raw, name);
  } catch (const Error& e) {
    if (origin.empty()) throw;
    throw Error(fmt::format("{}: {}", origin, e.what()));
  }
  Entry& e = entries_.find(key)->second;
  if (source < e.source) return;
  e.value = std::move(value);
  e.source = source;
}

void Values::check_exclusions() const {
  for (const Setting& s : schema_->settings()) {
    if (s.excludes.empty()) continue;
    const Setting& other = schema_->at(s.excludes);
    // A setting counts as set only when it differs from its default (enabled: true is no conflict).
    const auto set_apart = [this](const Setting& x) { return given(x.key) && get(x.key) != x.default_value; };
    if (set_apart(s) && set_apart(other)) {
      throw Error(fmt::format("{} and {} exclude each other: give one", name(s.key), name(other.key)));
    }
  }
}

const nlohmann::json& Values::get(std::string_view key) const {
  schema_->at(key);
  return entries_.find(key)->second.value;
}

Source Values::source(std::string_view key) const {
  schema_->at(key);
  return entries_.find(key)->second.source;
}

std::string Values::name(std::string_view key) const {
  const Setting& s = schema_->at(key);
  return source(key) == Source::Flag && !s.flag.empty() ? s.flag : s.key;
}

const Values::Entry& Values::entry(std::string_view key, Type type) const {
  const Setting& s = schema_->at(key);
  if (s.type != type) throw std::logic_error("config: " + s.key + " is a " + type_name(s.type));
  return entries_.find(key)->second;
}

std::string Values::str(std::string_view key) const {
  const auto& v = entry(key, Type::String).value;
  return v.is_null() ? std::string() : v.get<std::string>();
}

bool Values::boolean(std::string_view key) const {
  const auto& v = entry(key, Type::Bool).value;
  return !v.is_null() && v.get<bool>();
}

std::int64_t Values::integer(std::string_view key) const {
  const auto& v = entry(key, Type::Integer).value;
  return v.is_null() ? 0 : v.get<std::int64_t>();
}

double Values::number(std::string_view key) const {
  const auto& v = entry(key, Type::Number).value;
  return v.is_null() ? 0.0 : v.get<double>();
}

std::optional<Duration> Values::duration(std::string_view key) const {
  const auto& v = entry(key, Type::Duration).value;
  if (v.is_null()) return std::nullopt;
  return schema_->at(key).unit == "ms" ? from_ms(v.get<double>()) : from_s(v.get<double>());
}

std::vector<double> Values::numbers(std::string_view key) const {
  const auto& v = entry(key, Type::NumberList).value;
  return v.is_null() ? std::vector<double>{} : v.get<std::vector<double>>();
}

std::vector<std::string> Values::strings(std::string_view key) const {
  const auto& v = entry(key, Type::StringList).value;
  return v.is_null() ? std::vector<std::string>{} : v.get<std::vector<std::string>>();
}

const nlohmann::json& Values::object(std::string_view key) const { return entry(key, Type::Json).value; }

const nlohmann::json& Values::maps(std::string_view key) const { return entry(key, Type::MapList).value; }

}  // namespace inferbench::config
