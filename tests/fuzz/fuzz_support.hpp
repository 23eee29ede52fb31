#pragma once
// Shared by the fuzz targets: how a broken invariant is reported, and (for the dataset readers,
// which take a path) a scratch file per process.
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace inferbench::fuzz {

// Aborts (a finding) and names the harness line whose invariant failed.
[[noreturn]] inline void fail(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  std::fprintf(stderr, "invariant failed: %s:%d\n", file, line);
  std::abort();
}

// The readers take a path, so each input goes to a file (in /dev/shm when there is one: no disk
// I/O per execution), one per process.
inline std::filesystem::path input_file(std::string_view data, const char* extension) {
  static const std::filesystem::path path = [&] {
    std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                    : std::filesystem::temp_directory_path();
    return dir / ("inferbench_fuzz_" + std::to_string(::getpid()) + extension);
  }();
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(data.data(), static_cast<std::streamsize>(data.size()));
  return path;
}

}  // namespace inferbench::fuzz
