#include "workload/corpus.hpp"

// The corpus file is placed in .rodata by the assembler, so the compiler never parses 200 KB of
// literal; CMake passes its absolute path and rebuilds this file when it changes.
#ifndef INFERBENCH_CORPUS_PATH
#error "INFERBENCH_CORPUS_PATH must name data/shakespeare.txt"
#endif

// NOLINTNEXTLINE: the only way to embed a file in GCC 12 without a generated source
__asm__(
    ".section .rodata\n"
    ".global inferbench_corpus_begin\n"
    ".type inferbench_corpus_begin, @object\n"
    "inferbench_corpus_begin:\n"
    ".incbin \"" INFERBENCH_CORPUS_PATH
    "\"\n"
    ".global inferbench_corpus_end\n"
    ".type inferbench_corpus_end, @object\n"
    "inferbench_corpus_end:\n"
    ".byte 0\n"
    ".previous\n");

extern "C" const char inferbench_corpus_begin[];
extern "C" const char inferbench_corpus_end[];

namespace inferbench::workload {

std::string_view corpus_text() {
  return {inferbench_corpus_begin, static_cast<std::size_t>(inferbench_corpus_end - inferbench_corpus_begin)};
}

}  // namespace inferbench::workload
