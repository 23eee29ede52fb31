#pragma once
// Values appended in fixed-size blocks, so that an append never moves what is already stored.
//
// Why not a vector: its doubling copies every element and faults in twice the memory at once.
// At a million samples that is milliseconds of one thread's time in a single append, and the
// summary's distributions all double at about the same request, on the collector's thread, in
// the middle of a run: on a machine whose cores the load generator shares (the workers, the
// server), the sends wait for it (docs/performance.md, section 4). Blocks spread the same work
// evenly: one allocation per kBlock appends, its pages faulted in as they are written.
#include <cstddef>
#include <vector>

namespace inferbench::metrics {

template <class T>
class BlockBuffer {
 public:
  static constexpr std::size_t kBlock = 8192;

  void push_back(const T& value) {
    if (blocks_.empty() || blocks_.back().size() == kBlock) {
      blocks_.emplace_back();
      blocks_.back().reserve(kBlock);
    }
    blocks_.back().push_back(value);
  }
  const T& back() const { return blocks_.back().back(); }  // not when empty
  std::size_t size() const { return blocks_.empty() ? 0 : (blocks_.size() - 1) * kBlock + blocks_.back().size(); }

  // Appends every value to `out`, in the order they came, and empties the buffer.
  void move_into(std::vector<T>& out) {
    out.reserve(out.size() + size());
    for (std::vector<T>& block : blocks_) {
      out.insert(out.end(), block.begin(), block.end());
      std::vector<T>().swap(block);  // each block's memory goes back as soon as it is copied
    }
    blocks_.clear();
  }

 private:
  std::vector<std::vector<T>> blocks_;
};

}  // namespace inferbench::metrics
