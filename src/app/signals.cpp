#include "app/signals.hpp"

#include <chrono>
#include <csignal>
#include <thread>

namespace inferbench::app {

namespace {
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }
}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }

void wait_for_stop_signal() {
  install_stop_handlers();
  while (!stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace inferbench::app
