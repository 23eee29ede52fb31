#pragma once
// The base URL of a server under test: scheme, host, port and path prefix.
#include <string>
#include <string_view>

namespace inferbench::http {

struct Url {
  bool tls = false;       // https://
  std::string host;       // name or address, without brackets for IPv6
  std::string port;       // numeric, defaulted from the scheme
  std::string base_path;  // path prefix without trailing '/', e.g. "" or "/openai"

  // Parses "http[s]://host[:port][/path]"; throws inferbench::Error with a one-line reason.
  static Url parse(std::string_view text);
  // "host:port" as sent in the Host header (brackets restored for IPv6).
  std::string authority() const;
  // The URL as text, for messages.
  std::string str() const;
};

}  // namespace inferbench::http
