#pragma once
// Beast's HTTP/1.1 response parser, wired to a ResponseHandler: the final response's header once,
// then each piece of the body with the chunked framing removed, without copying the body. Each
// put() carries the time its bytes were read, so no piece can be stamped with another read's time.
#include <utility>  // before Asio: awaitable.hpp uses std::exchange without including it

#include <boost/beast/http/basic_parser.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "core/clock.hpp"
#include "http/client.hpp"

namespace inferbench::http {

// Feeds response bytes to the handler as Beast's parser finds them: the header once, then each
// piece of the body with the chunked framing removed. No copy of the body. Interim responses
// (1xx other than 101: 100 Continue, 103 Early Hints) come before the final response on the same
// connection; each is skipped with a fresh Beast parser (Beast ends a message after a 1xx
// header), so the handler sees only the final response.
class StreamingParser {
 public:
  explicit StreamingParser(ResponseHandler& handler) : handler_(handler) { message_.emplace(handler_); }
  // Parses what it can of `bytes`, read from the socket at `read_time`; returns the bytes used
  // (as Beast's basic_parser::put, with the time of the read).
  std::size_t put(boost::asio::const_buffer bytes, TimePoint read_time, boost::system::error_code& ec) {
    const std::size_t used = message_->put(bytes, read_time, ec);
    if (!ec && message_->is_done() && message_->interim()) message_.emplace(handler_);  // the real one follows
    return used;
  }
  void put_eof(boost::system::error_code& ec) { message_->put_eof(ec); }
  bool is_header_done() const { return message_->is_header_done(); }
  bool is_done() const { return message_->is_done(); }
  bool keep_alive() const { return message_->keep_alive(); }

 private:
  // One response message: Beast's parser wired to the handler.
  class Message final : public boost::beast::http::basic_parser<false> {
   public:
    explicit Message(ResponseHandler& handler) : handler_(handler) {
      eager(true);
      header_limit(64 * 1024);
      // Streams are unbounded (the SSE layer bounds one event). Not boost::none: Beast 1.74
      // compares a Content-Length against an empty optional as 'greater' and rejects it.
      body_limit(std::numeric_limits<std::uint64_t>::max());
    }
    std::size_t put(boost::asio::const_buffer bytes, TimePoint read_time, boost::system::error_code& ec) {
      read_time_ = read_time;
      return basic_parser::put(bytes, ec);
    }
    // A 1xx response other than 101 (Switching Protocols, which ends HTTP on the connection).
    bool interim() const { return status_ >= 100 && status_ < 200 && status_ != 101; }

   private:
    void on_request_impl(boost::beast::http::verb, std::string_view, std::string_view, int,
                         boost::system::error_code&) override {}
    void on_response_impl(int code, std::string_view, int, boost::system::error_code&) override { status_ = code; }
    // Beast parses a header only once all of it is buffered, in one put(): the views stay valid
    // until on_header_impl in that same call.
    void on_field_impl(boost::beast::http::field name, std::string_view, std::string_view value,
                       boost::system::error_code&) override {
      if (name == boost::beast::http::field::content_type) content_type_ = value;
      if (name == boost::beast::http::field::content_encoding) content_encoding_ = value;
    }
    void on_header_impl(boost::system::error_code&) override {
      if (interim()) return;
      handler_.on_content_headers(content_type_, content_encoding_);
      handler_.on_headers(status_, read_time_);
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, boost::system::error_code&) override {}
    std::size_t on_body_impl(std::string_view body, boost::system::error_code&) override {
      handler_.on_body(body, read_time_);
      return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, std::string_view, boost::system::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, std::string_view body, boost::system::error_code&) override {
      handler_.on_body(body, read_time_);
      return body.size();
    }
    void on_finish_impl(boost::system::error_code&) override {}

    ResponseHandler& handler_;
    TimePoint read_time_{};  // of the bytes the current put() is parsing
    int status_ = 0;
    std::string_view content_type_;      // valid only while the header is parsed (see on_field_impl)
    std::string_view content_encoding_;  // idem
  };

  ResponseHandler& handler_;
  std::optional<Message> message_;  // the response being parsed; replaced after an interim one
};

}  // namespace inferbench::http
