#pragma once
// Stops a run whose first requests all fail with the same client error (HTTP 400, 401, 403,
// 404, 405 or 422): the URL, the model or the key is wrong, and the rest of the load would
// only repeat the same answer at 100 % failures.
#include <atomic>
#include <mutex>
#include <optional>
#include <string>

#include "metrics/request_record.hpp"

namespace inferbench::app {

class ClientErrorStop {
 public:
  static constexpr std::size_t kFirst = 3;  // requests that must agree before the run stops

  // Looks at one finished record (the collector's thread). Only the first kFirst count.
  void observe(const metrics::RequestRecord& record);
  // True once the first kFirst requests all failed with the same client error. Any thread.
  bool triggered() const { return triggered_.load(); }
  // "HTTP 404: <the server's message>" of the first of them.
  std::string detail() const;

 private:
  mutable std::mutex mutex_;
  std::size_t seen_ = 0;
  int status_ = 0;
  bool same_ = true;
  std::string detail_;
  std::atomic<bool> triggered_{false};
};

}  // namespace inferbench::app
