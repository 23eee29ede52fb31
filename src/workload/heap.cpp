#include "workload/heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace inferbench::workload {

void reserve_heap(std::size_t bytes) {
#if defined(__GLIBC__) && defined(MADV_POPULATE_WRITE)
  constexpr std::size_t kMinimum = std::size_t{64} << 20;  // smaller heaps are not worth a call
  // Never take more than half of the memory that is free now: the strings may never need it all.
  const long free_pages = sysconf(_SC_AVPHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (free_pages > 0 && page_size > 0)
    bytes = std::min(bytes, static_cast<std::size_t>(free_pages) * static_cast<std::size_t>(page_size) / 2);
  // Freed memory below the trim threshold (an int) stays mapped; keep the block under it.
  bytes = std::min<std::size_t>(bytes, std::numeric_limits<int>::max() - kMinimum);
  if (bytes < kMinimum) return;
  if (mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max()) == 0) return;  // never give memory back
  mallopt(M_MMAP_MAX, 0);  // this block from the heap, not a mapping of its own that free() unmaps
  void* block = std::malloc(bytes);
  mallopt(M_MMAP_MAX, 65536);  // glibc's default
  if (!block) return;
  const auto page = static_cast<std::uintptr_t>(page_size > 0 ? page_size : 4096);
  const auto begin = (reinterpret_cast<std::uintptr_t>(block) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(block) + bytes) & ~(page - 1);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): a page-rounded address inside `block`
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
  std::free(block);  // back to the top of the heap, mapped, for the allocations that follow
#else
  (void)bytes;
#endif
}

}  // namespace inferbench::workload
