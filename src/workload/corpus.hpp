#pragma once
// The bundled public-domain English corpus (data/shakespeare.txt, see data/README.md), compiled
// into the binary. Synthetic prompts are slices of it.
#include <string_view>

namespace inferbench::workload {

// The whole corpus text: ASCII, lines ending in '\n', never empty.
std::string_view corpus_text();

}  // namespace inferbench::workload
