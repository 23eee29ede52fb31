#pragma once
// A small HTTP server (Boost.Beast) on its own thread that answers GET /metrics with the
// exposition of a LiveMetrics, for Prometheus to scrape while a run goes on (--metrics-port).
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "live/live_metrics.hpp"

namespace inferbench::live {

class MetricsServer {
 public:
  // Listens on host:port (port 0 = any free port) at once; throws inferbench::Error naming the
  // address when it cannot. `metrics` must outlive the server.
  MetricsServer(const LiveMetrics& metrics, const std::string& host, std::uint16_t port);
  ~MetricsServer();  // stops: closes the listener and every connection, joins the thread
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace inferbench::live
