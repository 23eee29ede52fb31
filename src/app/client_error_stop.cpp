#include "app/client_error_stop.hpp"

namespace inferbench::app {

namespace {

bool is_client_error(int status) {
  return status == 400 || status == 401 || status == 403 || status == 404 || status == 405 || status == 422;
}

}  // namespace

void ClientErrorStop::observe(const metrics::RequestRecord& record) {
  std::lock_guard lock(mutex_);
  if (seen_ >= kFirst) return;
  ++seen_;
  const bool client_error = record.failure == metrics::Failure::HttpStatus && is_client_error(record.http_status);
  if (client_error && seen_ == 1) {
    status_ = record.http_status;
    detail_ = record.error_detail;
  } else if (!client_error || record.http_status != status_) {
    same_ = false;
  }
  if (seen_ == kFirst && same_) triggered_.store(true);
}

std::string ClientErrorStop::detail() const {
  std::lock_guard lock(mutex_);
  return detail_;
}

}  // namespace inferbench::app
