#pragma once
// SIGINT/SIGTERM handling: the first signal asks the running command to stop cleanly.
#include <atomic>

namespace inferbench::app {

// Installs the handlers (idempotent). After the first SIGINT or SIGTERM, stop_requested() is true.
void install_stop_handlers();
// True once a stop signal arrived. Async-signal-safe to set, cheap to poll.
bool stop_requested();
// Blocks the calling thread until a stop signal arrives (installs the handlers).
void wait_for_stop_signal();

}  // namespace inferbench::app
