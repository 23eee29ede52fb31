#include "http/url.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace inferbench::http {
namespace {

TEST(Url, HttpDefaultsToPort80) {
  const Url u = Url::parse("http://example.com");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, "80");
  EXPECT_EQ(u.base_path, "");
  EXPECT_EQ(u.authority(), "example.com");
  EXPECT_EQ(u.str(), "http://example.com");
}

TEST(Url, HttpsDefaultsToPort443) {
  const Url u = Url::parse("https://api.example.com/v1/");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "api.example.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.base_path, "/v1");  // trailing '/' dropped so targets can be appended
  EXPECT_EQ(u.authority(), "api.example.com");
  EXPECT_EQ(u.str(), "https://api.example.com/v1");
}

TEST(Url, ExplicitPortAndPathPrefix) {
  const Url u = Url::parse("https://127.0.0.1:8443/openai//");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, "8443");
  EXPECT_EQ(u.base_path, "/openai");
  EXPECT_EQ(u.authority(), "127.0.0.1:8443");
  // A non-default port for the scheme is kept in the authority; 80 over https is not default.
  EXPECT_EQ(Url::parse("https://h:80").authority(), "h:80");
  EXPECT_EQ(Url::parse("http://h:443").authority(), "h:443");
  EXPECT_EQ(Url::parse("http://h:80").authority(), "h");
}

TEST(Url, Ipv6LiteralWithPortAndPath) {
  const Url u = Url::parse("http://[::1]:8080/v1");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "::1");  // brackets stripped for the resolver
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.base_path, "/v1");
  EXPECT_EQ(u.authority(), "[::1]:8080");  // and restored for the Host header
  EXPECT_EQ(u.str(), "http://[::1]:8080/v1");

  const Url d = Url::parse("https://[2001:db8::1]");
  EXPECT_EQ(d.host, "2001:db8::1");
  EXPECT_EQ(d.port, "443");
  EXPECT_EQ(d.authority(), "[2001:db8::1]");
}

// Every rejected form throws inferbench::Error whose message names the URL.
void expect_rejected(const std::string& text, const std::string& reason) {
  try {
    (void)Url::parse(text);
    ADD_FAILURE() << "'" << text << "' was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'" + text + "'"), std::string::npos) << what;
    EXPECT_NE(what.find(reason), std::string::npos) << "'" << text << "': " << what;
  }
}

TEST(Url, BadSchemeIsRejected) {
  expect_rejected("ftp://example.com", "scheme must be http or https");
  expect_rejected("HTTP://example.com", "scheme must be http or https");
  expect_rejected("example.com:8000", "expected http://host");
  expect_rejected("", "expected http://host");
}

TEST(Url, BadPortIsRejected) {
  expect_rejected("http://h:0", "bad port '0'");
  expect_rejected("http://h:65536", "bad port '65536'");
  expect_rejected("http://h:80x", "bad port '80x'");
  expect_rejected("http://h:-1", "bad port '-1'");
  expect_rejected("http://h:99999999999999999999", "bad port");
  expect_rejected("http://[::1]:http/v1", "bad port 'http'");
}

TEST(Url, BadAuthorityIsRejected) {
  expect_rejected("http://", "missing host");
  expect_rejected("http://:8080", "missing host");
  expect_rejected("http:///v1", "missing host");
  expect_rejected("http://[]:8080", "missing host");
  expect_rejected("http://[::1:8080/v1", "unclosed '['");
  expect_rejected("http://[::1]8080", "junk after IPv6 address");
  // User info is refused, and never repeated: "user:password@" is a credential.
  for (const std::string text : {"http://user@h", "http://user:PASSW0RD@h:8000/v1"}) {
    try {
      (void)Url::parse(text);
      ADD_FAILURE() << "'" << text << "' was accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("not supported"), std::string::npos) << what;
      EXPECT_NE(what.find("http://***@h"), std::string::npos) << what;
      EXPECT_EQ(what.find("user:"), std::string::npos) << what;
      EXPECT_EQ(what.find("user@"), std::string::npos) << what;
      EXPECT_EQ(what.find("PASSW0RD"), std::string::npos) << what;
    }
  }
  expect_rejected("http://h/v1?x=1", "not supported");
  expect_rejected("http://h/#frag", "not supported");
}

}  // namespace
}  // namespace inferbench::http
