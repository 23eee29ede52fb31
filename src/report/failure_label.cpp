#include "report/failure_label.hpp"

#include <fmt/format.h>

namespace inferbench::report {

std::string failure_label(const metrics::FailureKey& failure) {
  using metrics::Failure;
  switch (failure.kind) {
    case Failure::None: return {};
    case Failure::DnsFailed: return "dns_failed";
    case Failure::ConnectFailed: return "connect_failed";
    case Failure::TlsFailed: return "tls_failed";
    case Failure::ClosedBeforeResponse: return "closed_before_response";
    case Failure::ResetBeforeFirstToken: return "reset_before_first_token";
    case Failure::ResetMidStream: return "reset_mid_stream";
    case Failure::BadHttp: return "bad_http";
    case Failure::TimeoutFirstToken: return "timeout_first_token";
    case Failure::TimeoutRequest: return "timeout_request";
    case Failure::HttpStatus: return fmt::format("http_{}", failure.http_status);
    case Failure::StreamError: return "stream_error";
    case Failure::MalformedChunk: return "malformed_chunk";
    case Failure::MalformedStream: return "malformed_stream";
    case Failure::TruncatedStream: return "truncated_stream";
    case Failure::NoOutput: return "no_output";
    case Failure::MalformedResponse: return "malformed_response";
    case Failure::ResponseError: return "response_error";
    case Failure::ResponseTooLarge: return "response_too_large";
    case Failure::UnexpectedContent: return "unexpected_content";
    case Failure::Overrun: return "overrun";
    case Failure::ClientError: return "client_error";
    case Failure::Cancelled: return "cancelled";
  }
  return "unknown";
}

std::string failure_label(const metrics::RequestRecord& record) { return failure_label(record.failure_key()); }

std::optional<metrics::FailureKey> parse_failure_label(std::string_view label) {
  using metrics::Failure;
  if (label.starts_with("http_")) {
    const std::string_view digits = label.substr(5);
    if (digits.size() != 3 || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    const int status = (digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0');
    if (status < 100) return std::nullopt;
    return metrics::FailureKey{Failure::HttpStatus, status};
  }
  // Every other label is one enumerator's: found by asking failure_label, so the two never disagree.
  for (int k = static_cast<int>(Failure::None) + 1; k <= static_cast<int>(Failure::Cancelled); ++k) {
    const auto kind = static_cast<Failure>(k);
    if (kind != Failure::HttpStatus && failure_label(metrics::FailureKey{kind, 0}) == label) {
      return metrics::FailureKey{kind, 0};
    }
  }
  return std::nullopt;
}

std::map<std::string, std::size_t> failure_counts(const metrics::LoadPointSummary& summary) {
  std::map<std::string, std::size_t> out;
  for (const auto& [failure, n] : summary.requests.failures) out[failure_label(failure)] += n;
  return out;
}

}  // namespace inferbench::report
