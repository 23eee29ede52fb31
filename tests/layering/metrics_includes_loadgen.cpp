// Must NOT compile: metrics sits below loadgen, so loadgen's headers are not on its include
// path (cmake/inferbench.cmake gives each module only the include roots of what it links).
#include "loadgen/worker.hpp"
#include "metrics/summary.hpp"

int layering_violation() { return 0; }
