#pragma once
// The settings as written into outputs (summary.json's `config` block).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/values.hpp"

namespace inferbench::config {

// Every setting's effective value under its key path as nested objects ({"load": {"rate":
// [5]}}), in the declared unit; null when not set. Secrets never appear: Secret::Whole
// settings are left out, Secret::KeyValues lists keep only the names, and a URL's
// user:password is replaced by "***".
nlohmann::json to_json(const Values& values);

// `text` with the user-info of any URL in it ("https://user:pw@host") replaced by "***".
std::string redact_userinfo(std::string_view text);

}  // namespace inferbench::config
