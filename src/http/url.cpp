#include "http/url.hpp"

#include <algorithm>
#include <charconv>

#include "core/error.hpp"

namespace inferbench::http {

// URLs here are only ever base URLs typed by a user (scheme, authority, path prefix);
// queries, fragments and userinfo are rejected rather than half-supported.
Url Url::parse(std::string_view text) {
  // Messages show the URL without its user info: "user:password@" is a credential.
  std::string shown(text);
  if (const auto scheme = shown.find("://"); scheme != std::string::npos) {
    const auto authority_end = std::min(shown.find('/', scheme + 3), shown.size());
    if (const auto at = shown.rfind('@', authority_end); at != std::string::npos && at > scheme) {
      shown.replace(scheme + 3, at - scheme - 3, "***");
    }
  }
  Url url;
  const auto scheme_end = text.find("://");
  require(scheme_end != std::string_view::npos,
          "invalid endpoint '" + shown + "': expected http://host[:port][/path] or https://...");
  const auto scheme = text.substr(0, scheme_end);
  if (scheme == "https") {
    url.tls = true;
  } else {
    require(scheme == "http", "invalid endpoint '" + shown + "': scheme must be http or https");
  }
  text.remove_prefix(scheme_end + 3);
  require(text.find_first_of("?#@") == std::string_view::npos,
          "invalid endpoint '" + shown + "': query, fragment and user info are not supported");
  const auto path_start = text.find('/');
  auto authority = text.substr(0, path_start);
  if (path_start != std::string_view::npos) {
    url.base_path = std::string(text.substr(path_start));
    while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    require(close != std::string_view::npos, "invalid endpoint '" + shown + "': unclosed '['");
    url.host = std::string(authority.substr(1, close - 1));
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      require(rest.front() == ':', "invalid endpoint '" + shown + "': junk after IPv6 address");
      port = rest.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  require(!url.host.empty(), "invalid endpoint '" + shown + "': missing host");
  if (port.empty()) {
    url.port = url.tls ? "443" : "80";
  } else {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    require(ec == std::errc{} && end == port.data() + port.size() && value > 0 && value < 65536,
            "invalid endpoint '" + shown + "': bad port '" + std::string(port) + "'");
    url.port = std::string(port);
  }
  return url;
}

std::string Url::authority() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string h = ipv6 ? "[" + host + "]" : host;
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? h : h + ":" + port;
}

std::string Url::str() const { return std::string(tls ? "https://" : "http://") + authority() + base_path; }

}  // namespace inferbench::http
