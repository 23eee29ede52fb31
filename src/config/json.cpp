#include "config/json.hpp"

namespace inferbench::config {

namespace {

// String leaves of `value` with URLs' user-info redacted (extra bodies may hold URLs too).
nlohmann::json redacted(const nlohmann::json& value) {
  if (value.is_string()) return redact_userinfo(value.get<std::string>());
  if (value.is_array() || value.is_object()) {
    nlohmann::json out = value;
    for (auto& item : out) item = redacted(item);
    return out;
  }
  return value;
}

}  // namespace

std::string redact_userinfo(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t scheme = text.find("://", pos);
    if (scheme == std::string_view::npos) break;
    const std::size_t host = scheme + 3;
    // The authority ends at the first '/', '?', '#' or blank; user-info is what precedes its last '@'.
    std::size_t end = text.find_first_of("/?# \t", host);
    if (end == std::string_view::npos) end = text.size();
    const std::size_t at = text.substr(host, end - host).rfind('@');
    out.append(text.substr(pos, host - pos));
    if (at != std::string_view::npos) {
      out += "***";
      pos = host + at;  // keeps the '@' and the host
    } else {
      pos = host;
    }
  }
  out.append(text.substr(pos));
  return out;
}

nlohmann::json to_json(const Values& values) {
  nlohmann::json out = nlohmann::json::object();
  for (const Setting& s : values.schema().settings()) {
    if (s.secret == Secret::Whole) continue;
    nlohmann::json value = values.get(s.key);
    if (s.secret == Secret::KeyValues && value.is_array()) {
      nlohmann::json names = nlohmann::json::array();
      for (const auto& item : value) {
        const std::string kv = item.get<std::string>();
        names.push_back(kv.substr(0, kv.find('=')));
      }
      value = std::move(names);
    }
    std::string pointer = "/" + s.key;
    for (auto& c : pointer) {
      if (c == '.') c = '/';
    }
    out[nlohmann::json::json_pointer(pointer)] = redacted(value);
  }
  return out;
}

}  // namespace inferbench::config
